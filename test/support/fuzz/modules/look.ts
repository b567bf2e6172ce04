import type { ModuleFixtures } from './index';

/**
 * The brand look's fuzz fixtures (GET/PUT /communities/:slug/look use the core `slug` pool): a look
 * set in community A, so reads return a real one, and real values for PUT bodies: the community
 * admin's and the platform admin's uploads (`logoUploadId`), readable and unreadable colours, and
 * CSS that passes and CSS that is refused.
 */
export const lookFixtures: ModuleFixtures = {
  pathPools: [],
  async build({ http, baseUrl, world }) {
    const { communityAdmin, platformAdmin } = world.accounts;
    const slug = world.communities.A.slug;
    const uploads = [];
    for (const who of [communityAdmin, platformAdmin, communityAdmin]) {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(world.image)], { type: 'image/png' }), 'logo.png');
      const res = await fetch(`${baseUrl}/api/v1/communities/${slug}/uploads`, { method: 'POST', body: form, headers: { authorization: `Bearer ${who.accessToken}` } });
      if (res.status !== 201) throw new Error(`look upload: ${res.status} ${await res.text()}`);
      uploads.push(((await res.json()) as { id: string }).id);
    }
    const res = await http.put(`/api/v1/communities/${slug}/look`, { logoUploadId: uploads[0], primaryColor: '#1a5fd0', customCss: '.card{border-radius:4px}' }, { token: communityAdmin.accessToken });
    if (res.status !== 200) throw new Error(`look: ${res.status} ${res.text}`);
    world.named.logoUploadId = uploads.slice(1);
    world.named.primaryColor = ['#1a5fd0', '#6b21a8', '#ffcc00'];
    world.named.customCss = ['', '.site-header{background:#eef3ff}', '@import "x.css";', '.a{background:url(x)}'];
  },
};

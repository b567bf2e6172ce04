import { eventually, registerUser } from '../../factories';
import type { ModuleFixtures } from './index';

/**
 * The store module's fuzz fixtures: a store connection in each community (to a public IP literal, so
 * it passes the SSRF check without DNS; nothing answers there) and one webhook delivery in each
 * (`deliveryId`, community scope: only that community's admins may retry it).
 */
export const storeFixtures: ModuleFixtures = {
  pathPools: ['deliveryId'],
  async build({ http, world, pool }) {
    const admin = world.accounts.platformAdmin.accessToken;
    for (const key of ['A', 'B'] as const) {
      const slug = world.communities[key].slug;
      const conn = await http.put(`/api/v1/communities/${slug}/store`, { webhookUrl: 'http://8.8.8.8:9/hooks', events: ['member.joined'] }, { token: admin });
      if (conn.status !== 200) throw new Error(`store connection in ${key}: ${conn.status} ${conn.text}`);
      const user = await registerUser(http);
      await http.post(`/api/v1/communities/${slug}/join`, undefined, { token: user.accessToken });
      const delivery = await eventually(async () => (await http.get(`/api/v1/communities/${slug}/store/deliveries`, { token: admin })).body.items?.[0]);
      pool('deliveryId', delivery.id, `store delivery in ${key}`, { kind: 'community', community: key });
    }
  },
};

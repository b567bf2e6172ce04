import { createMember } from '../../factories';
import type { ModuleFixtures } from './index';

/**
 * The moderation module's fuzz fixtures: review items of community A (a reported reply and a reported
 * member) and a sanction (a warning of a spare member of A), so resolve and lift get real ids.
 */
export const moderationFixtures: ModuleFixtures = {
  pathPools: ['itemId', 'sanctionId'],
  async build({ http, world, pool }) {
    const A = world.communities.A;
    const member = world.accounts.member;
    const replyInA = world.pools.postId.find((v) => v.label.startsWith('reply in A/public-discussion'));
    if (!replyInA) throw new Error('moderation fixtures: no reply in A/public-discussion');
    const report = async (body: Record<string, unknown>) => {
      const res = await http.post('/api/v1/reports', { reason: 'spam', ...body }, { token: member.accessToken });
      if (res.status !== 201) throw new Error(`report: ${res.status} ${res.text}`);
      return res.body.itemId as string;
    };
    const spare = await createMember(http, world.accounts.platformAdmin.accessToken, A.slug);
    pool('itemId', await report({ targetType: 'post', targetId: replyInA.value }), 'review item of a reply in A', { kind: 'community', community: 'A' });
    pool('itemId', await report({ targetType: 'user', targetId: spare.id, communityId: A.id }), 'review item of a member of A', { kind: 'community', community: 'A' });
    const warned = await http.post(`/api/v1/communities/${A.slug}/sanctions`, { userId: spare.id, kind: 'warn', reason: 'fuzz' }, { token: world.accounts.communityAdmin.accessToken });
    if (warned.status !== 201) throw new Error(`sanction: ${warned.status} ${warned.text}`);
    pool('sanctionId', warned.body.id, 'warning of a member of A', { kind: 'community', community: 'A' });
    world.named.itemId = world.pools.itemId.map((v) => v.value);
    world.named.communityId = [A.id, world.communities.B.id];
    world.named.targetId = [replyInA.value, spare.id];
  },
};

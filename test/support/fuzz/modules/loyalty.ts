import type { ModuleFixtures } from './index';

/**
 * The loyalty module's fuzz fixtures: a reward with coupon codes in each community (`rewardId`),
 * and real reward ids for bodies (`rewardId` of redemptions). Members of A get a few points so a
 * redemption can succeed.
 */
export const loyaltyFixtures: ModuleFixtures = {
  pathPools: ['rewardId'],
  async build({ http, world, pool }) {
    const admin = world.accounts.platformAdmin.accessToken;
    for (const key of ['A', 'B'] as const) {
      const slug = world.communities[key].slug;
      const res = await http.post(`/api/v1/communities/${slug}/loyalty/rewards`, { name: `Fuzz mug ${key}`, cost: 5, description: 'A mug' }, { token: admin });
      if (res.status !== 201) throw new Error(`loyalty reward in ${key}: ${res.status} ${res.text}`);
      const codes = await http.post(`/api/v1/loyalty/rewards/${res.body.id}/codes`, { codes: Array.from({ length: 50 }, (_, i) => `FUZZ-${key}-${i}`) }, { token: admin });
      if (codes.status !== 200) throw new Error(`loyalty codes in ${key}: ${codes.status} ${codes.text}`);
      pool('rewardId', res.body.id, `reward in ${key}`, { kind: 'community', community: key });
      (world.named.rewardId ??= []).push(res.body.id);
    }
    const give = await http.post(
      `/api/v1/communities/${world.communities.A.slug}/loyalty/adjustments`,
      { userId: world.accounts.member.id, points: 50, reason: 'fuzz' },
      { token: admin },
    );
    if (give.status !== 201) throw new Error(`loyalty adjustment: ${give.status} ${give.text}`);
  },
};

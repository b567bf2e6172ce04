import type { ModuleFixtures } from './index';

/**
 * The profiles module's fuzz fixtures: GET /users/:idOrUsername takes a user id or a username.
 * (Its member profile route uses the core `userId` pool.)
 */
export const profilesFixtures: ModuleFixtures = {
  pathPools: ['idOrUsername'],
  async build({ http, world, pool }) {
    const member = world.accounts.member;
    const res = await http.get('/api/v1/me', { token: member.accessToken });
    if (res.status !== 200) throw new Error(`me: ${res.status} ${res.text}`);
    pool('idOrUsername', member.id, 'a member\'s id');
    pool('idOrUsername', res.body.user.username, 'a member\'s username');
  },
};

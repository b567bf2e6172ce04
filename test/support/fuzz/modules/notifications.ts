import type { ModuleFixtures } from './index';

/**
 * The notifications module's fuzz fixtures. Its routes add no path parameter (threads and boards use
 * the core pools); the member gets a level on a board so the level routes meet existing rows.
 */
export const notificationsFixtures: ModuleFixtures = {
  pathPools: [],
  async build({ http, world }) {
    const [boardId] = world.named.board ?? [];
    if (!boardId) return;
    const res = await http.put(`/api/v1/boards/${boardId}/notification-level`, { level: 'watching' }, { token: world.accounts.member.accessToken });
    if (res.status !== 200) throw new Error(`notification level: ${res.status} ${res.text}`);
  },
};

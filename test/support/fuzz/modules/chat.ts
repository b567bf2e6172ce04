import type { ModuleFixtures } from './index';

/**
 * Chat rooms for the fuzz: a public room of A (any member of A may read it), a private room only the
 * member is in, and a private room of the outsider in B; a message in each for `messageId` bodies.
 */
export const chatFixtures: ModuleFixtures = {
  pathPools: ['roomId'],
  async build({ http, world, pool }) {
    const A = world.communities.A.slug;
    const B = world.communities.B.slug;
    const create = async (token: string, slug: string, body: Record<string, unknown>) => {
      const res = await http.post(`/api/v1/communities/${slug}/chat/rooms`, body, { token });
      if (res.status !== 201) throw new Error(`chat room: ${res.status} ${res.text}`);
      return res.body.id as string;
    };
    const say = async (token: string, roomId: string) => {
      const res = await http.post(`/api/v1/chat/rooms/${roomId}/messages`, { body: 'fuzz message', clientId: `fuzz-${roomId}` }, { token });
      if (res.status !== 201) throw new Error(`chat message: ${res.status} ${res.text}`);
      return res.body.id as string;
    };
    const admin = world.accounts.communityAdmin.accessToken;
    const member = world.accounts.member;
    const outsider = world.accounts.outsider;
    const lobby = await create(admin, A, { name: 'Fuzz lobby', kind: 'public' });
    pool('roomId', lobby, 'public room of A', { kind: 'community', community: 'A' });
    const mine = await create(member.accessToken, A, { name: 'Member only', kind: 'private' });
    pool('roomId', mine, 'private room of the member', { kind: 'owner', ownerId: member.id, community: 'A' });
    const theirs = await create(outsider.accessToken, B, { name: 'Outsider only', kind: 'private' });
    pool('roomId', theirs, 'private room of the outsider', { kind: 'owner', ownerId: outsider.id, community: 'B' });
    world.named.messageId = [await say(admin, lobby), await say(member.accessToken, mine), await say(outsider.accessToken, theirs)];
    world.named.roomId = [lobby, mine, theirs];
  },
};

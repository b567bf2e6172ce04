import sharp from 'sharp';
import { createBoard, createThread, NO_LIMITS, reply, setSettings } from '../content';
import { createCommunity, createMember, loginAdmin, registerUser, TestUser } from '../factories';
import { Http } from '../http';
import { MODULE_FIXTURES } from './modules';
import { CommunityKey, PoolValue, Scope, Visibility, World } from './world';

/**
 * Real data for the fuzz: two communities, boards of every visibility and kind, threads, replies,
 * a question with accepted and official answers, uploads and sessions. Every path parameter the
 * document names must have a pool here (PATH_POOLS); a route with a new parameter name fails the
 * run until its pool is added.
 */
export const PATH_POOLS: readonly string[] = [
  ...['slug', 'boardId', 'threadId', 'postId', 'attachmentId', 'fileName', 'sessionId', 'userId', 'kind'],
  ...MODULE_FIXTURES.flatMap((m) => m.pathPools),
];

const REACTIONS = ['like', 'helpful', 'love', 'insightful'];
const VISIBILITIES: Visibility[] = ['public', 'members', 'staff'];
const KINDS = ['discussion', 'qa', 'showcase'];
export const FIXTURE_WORDS = ['grinder', 'espresso', 'kettle', 'descale', 'warranty', 'fuzz'];

export async function buildWorld(http: Http, baseUrl: string): Promise<World> {
  const platformAdmin = await loginAdmin(http);
  const admin = platformAdmin.accessToken;
  const A = await createCommunity(http, admin);
  const B = await createCommunity(http, admin);
  for (const c of [A, B]) await setSettings(http, admin, c.slug, NO_LIMITS);
  const member = await createMember(http, admin, A.slug);
  const member2 = await createMember(http, admin, A.slug);
  const communityAdmin = await createMember(http, admin, A.slug, 'admin');
  const outsider = await createMember(http, admin, B.slug);
  const stranger = await registerUser(http);
  const image = await sharp({ create: { width: 16, height: 12, channels: 3, background: '#c84' } }).png().toBuffer();
  const world = new World(http, { A, B }, { member, communityAdmin, platformAdmin, outsider, stranger }, image);
  world.words.push(...FIXTURE_WORDS);

  const pool = (name: string, value: string, label: string, scope?: Scope) => (world.pools[name] ??= []).push({ value, label, scope });
  pool('slug', A.slug, 'community A', { kind: 'community', community: 'A' });
  pool('slug', B.slug, 'community B', { kind: 'community', community: 'B' });
  for (const kind of REACTIONS) pool('kind', kind, `reaction ${kind}`);

  const upload = async (who: TestUser, community: CommunityKey) => {
    const res = await uploadImage(baseUrl, who.accessToken, world.communities[community].slug, image);
    return { id: res.id as string, fileName: new URL(res.url).pathname.split('/').pop() as string };
  };
  const addUpload = (u: { id: string; fileName: string }, label: string, scope: Scope) => {
    pool('attachmentId', u.id, label, scope);
    pool('fileName', u.fileName, label, scope);
  };

  // Threads and posts, with the scope that says who may see them.
  const addThread = (thread: any, community: CommunityKey, boardLabel: string) => {
    const scope: Scope = { kind: 'board', community, boardId: thread.boardId, threadId: thread.id };
    pool('threadId', thread.id, `thread in ${boardLabel}`, scope);
    pool('postId', thread.firstPost.id, `first post in ${boardLabel}`, scope);
    return scope;
  };
  const addReply = (post: any, scope: Scope, boardLabel: string) => pool('postId', post.id, `reply in ${boardLabel}`, scope);

  const boardsOf = async (community: CommunityKey, specs: { visibility: Visibility; kind: string }[]) => {
    for (const { visibility, kind } of specs) {
      const slug = `${visibility}-${kind}`;
      const board = await createBoard(http, admin, world.communities[community].slug, { slug, kind, visibility });
      world.boards.set(board.id, { id: board.id, community, visibility, kind, slug });
      pool('boardId', board.id, `board ${community}/${slug}`, { kind: 'board', community, boardId: board.id });
      (world.named.board ??= []).push(board.id);
    }
  };
  await boardsOf('A', VISIBILITIES.flatMap((visibility) => KINDS.map((kind) => ({ visibility, kind }))));
  await boardsOf('B', [...VISIBILITIES.map((visibility) => ({ visibility, kind: 'discussion' })), { visibility: 'public', kind: 'qa' }]);

  for (const board of world.boards.values()) {
    const label = `${board.community}/${board.slug}`;
    // Staff boards take threads from staff only; community B's content comes from its own member.
    const author = board.community === 'B' ? (board.visibility === 'staff' ? platformAdmin : outsider) : board.visibility === 'staff' ? communityAdmin : member;
    const replier = board.community === 'B' ? platformAdmin : board.visibility === 'staff' ? platformAdmin : member2;
    const photo = board.kind !== 'qa' ? await upload(author, board.community) : null;
    for (let i = 0; i < 3; i++) {
      const thread = await createThread(http, author.accessToken, board.id, {
        title: `${FIXTURE_WORDS[i]} ${board.kind} thread ${i}`,
        body: `About the ${FIXTURE_WORDS[i]} and its warranty, see **this**`,
        tags: ['fuzz', `t${i}`],
        productSkus: [`SKU-${i}`],
        ...(photo && i === 0 ? { attachmentIds: [photo.id] } : {}),
      });
      const scope = addThread(thread, board.community, label);
      if (photo && i === 0) addUpload(photo, `upload in ${label}`, scope);
      // Questions 1 and 2 stay unanswered (the staff queue needs two for a second page).
      if (board.kind === 'qa' && i > 0) continue;
      const first = await reply(http, replier.accessToken, thread.id, `A ${FIXTURE_WORDS[3]} answer`);
      addReply(first, scope, label);
      const second = await reply(http, board.community === 'A' ? communityAdmin.accessToken : author.accessToken, thread.id, 'Another answer');
      addReply(second, scope, label);
      await http.put(`/api/v1/posts/${thread.firstPost.id}/reactions/like`, undefined, { token: replier.accessToken });
      if (board.kind === 'qa') {
        await expectOk(http.post(`/api/v1/threads/${thread.id}/accept`, { postId: first.id }, { token: author.accessToken }), 'accept');
        await expectOk(http.post(`/api/v1/posts/${second.id}/official`, undefined, { token: admin }), 'official');
        await expectOk(http.post(`/api/v1/posts/${first.id}/faq`, undefined, { token: admin }), 'faq');
      }
    }
  }

  // An upload nobody attached: only its uploader may use it. More for bodies that attach photos.
  addUpload(await upload(member, 'A'), 'unattached upload of the member', { kind: 'owner', ownerId: member.id, community: 'A' });
  addUpload(await upload(outsider, 'B'), 'unattached upload of the outsider', { kind: 'owner', ownerId: outsider.id, community: 'B' });
  world.named.attachmentIds = [];
  for (let i = 0; i < 3; i++) world.named.attachmentIds.push((await upload(member, 'A')).id);

  // Users whose roles the fuzz may change freely, and spare sessions it may end.
  pool('userId', (await createMember(http, admin, A.slug)).id, 'spare member of A');
  pool('userId', (await createMember(http, admin, B.slug)).id, 'spare member of B');
  pool('userId', (await registerUser(http)).id, 'user in no community');
  for (const who of [member, communityAdmin, outsider, platformAdmin]) {
    await http.post('/api/v1/auth/login', { email: who.email, password: who.password });
    const sessions = await http.get('/api/v1/me/sessions?limit=100', { token: who.accessToken });
    if (sessions.status === 404) break; // a server without session routes: nothing to pool
    if (sessions.status !== 200) throw new Error(`sessions of ${who.email}: ${sessions.status} ${sessions.text}`);
    for (const s of sessions.body.items as { id: string; current: boolean }[]) {
      pool('sessionId', s.id, `${s.current ? 'current' : 'spare'} session of ${who.email}`, { kind: 'owner', ownerId: who.id });
    }
  }

  // An account nobody plays: log-ins and sign-ups may use its email and password, refreshes its refresh tokens.
  const spare = await registerUser(http);
  world.named.email = [spare.email];
  world.named.password = [spare.password];
  world.named.refreshToken = [spare.refreshToken];
  for (let i = 0; i < 3; i++) world.named.refreshToken.push((await http.post('/api/v1/auth/login', { email: spare.email, password: spare.password })).body.refreshToken);

  // Real values for query and body names.
  world.named.boardId = world.pools.boardId.map((v) => v.value);
  world.named.threadId = world.pools.threadId.map((v) => v.value);
  world.named.postId = world.pools.postId.map((v) => v.value);
  world.named.replyToPostId = world.named.postId;
  world.named.tag = ['fuzz', 't1'];
  world.named.sku = ['SKU-0', 'SKU-1'];
  world.named.q = FIXTURE_WORDS;
  world.named.role = ['member', 'staff', 'moderator', 'admin'];
  // The modules' own fixtures (chat rooms, review items, rewards...): see ./modules.
  for (const m of MODULE_FIXTURES) await m.build({ http, baseUrl, world, pool });
  return world;
}

/** Every value of a path parameter's pool, or undefined when the name has no fixtures yet. */
export function poolFor(world: World, name: string): PoolValue[] | undefined {
  return PATH_POOLS.includes(name) ? world.pools[name] : undefined;
}

export async function uploadImage(baseUrl: string, token: string, slug: string, image: Buffer): Promise<any> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(image)], { type: 'image/png' }), 'photo.png');
  const res = await fetch(`${baseUrl}/api/v1/communities/${slug}/uploads`, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${text}`);
  return JSON.parse(text);
}

async function expectOk(pending: Promise<{ status: number; text: string }>, what: string) {
  const res = await pending;
  if (res.status >= 300) throw new Error(`${what} failed: ${res.status} ${res.text}`);
}

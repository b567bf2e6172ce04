import { createCommunity, createMember, loginAdmin, TestUser } from './factories';
import { Http } from './http';

/** Community settings for specs that post a lot: no cooldowns, no link limit. */
export const NO_LIMITS = { postCooldownSeconds: 0, newMemberPostCooldownSeconds: 0, newMemberMaxLinks: 100 };

export async function setSettings(http: Http, adminToken: string, slug: string, settings: Record<string, number>) {
  const res = await http.patch(`/api/v1/communities/${slug}/settings`, settings, { token: adminToken });
  if (res.status !== 200) throw new Error(`settings failed: ${res.status} ${res.text}`);
}

export async function createBoard(
  http: Http,
  adminToken: string,
  slug: string,
  board: { slug: string; kind?: string; visibility?: string; name?: string },
): Promise<{ id: string; slug: string; kind: string; visibility: string }> {
  const res = await http.post(
    `/api/v1/communities/${slug}/boards`,
    { name: board.name ?? board.slug, kind: board.kind ?? 'discussion', visibility: board.visibility ?? 'public', slug: board.slug },
    { token: adminToken },
  );
  if (res.status !== 201) throw new Error(`create board failed: ${res.status} ${res.text}`);
  return res.body;
}

export async function createThread(
  http: Http,
  token: string,
  boardId: string,
  thread: { title?: string; body?: string; tags?: string[]; productSkus?: string[]; attachmentIds?: string[] } = {},
): Promise<any> {
  const res = await http.post(
    `/api/v1/boards/${boardId}/threads`,
    { title: thread.title ?? 'A thread title', body: thread.body ?? 'The first post', ...thread },
    { token },
  );
  if (res.status !== 201) throw new Error(`create thread failed: ${res.status} ${res.text}`);
  return res.body;
}

export async function reply(http: Http, token: string, threadId: string, body = 'A reply', extra: Record<string, unknown> = {}): Promise<any> {
  const res = await http.post(`/api/v1/threads/${threadId}/posts`, { body, ...extra }, { token });
  if (res.status !== 201) throw new Error(`reply failed: ${res.status} ${res.text}`);
  return res.body;
}

export interface Cast {
  admin: TestUser;
  slug: string;
  communityId: string;
  member: TestUser;
  member2: TestUser;
  staff: TestUser;
  moderator: TestUser;
  /** An admin of another community. */
  outsider: TestUser;
}

/** A community with no posting limits and one user of each role, plus an outsider (admin of another community). */
export async function createCast(http: Http, settings: Record<string, number> = NO_LIMITS): Promise<Cast> {
  const admin = await loginAdmin(http);
  const { slug, id: communityId } = await createCommunity(http, admin.accessToken);
  await setSettings(http, admin.accessToken, slug, settings);
  const member = await createMember(http, admin.accessToken, slug);
  const member2 = await createMember(http, admin.accessToken, slug);
  const staff = await createMember(http, admin.accessToken, slug, 'staff');
  const moderator = await createMember(http, admin.accessToken, slug, 'moderator');
  const other = await createCommunity(http, admin.accessToken);
  const outsider = await createMember(http, admin.accessToken, other.slug, 'admin');
  return { admin, slug, communityId, member, member2, staff, moderator, outsider };
}

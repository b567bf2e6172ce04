import { Db } from '../src/core/database/db.service';
import { startApp, TestApp } from './support/app';
import { Cast, createBoard, createCast, createThread, reply } from './support/content';
import { createMember, eventually } from './support/factories';
import { expectProblem } from './support/http';

/** The audit log: every staff action (moderation's own and earlier ones from their events), append-only. */
describe('moderation: audit log', () => {
  let t: TestApp;
  let c: Cast;
  let db: Db;
  beforeAll(async () => {
    t = await startApp();
    c = await createCast(t.http);
    db = t.app.get(Db);
  });
  afterAll(() => t?.close());
  const as = (u: { accessToken: string }) => ({ token: u.accessToken });
  const log = async (query = '') => (await t.http.get(`/api/v1/communities/${c.slug}/moderation/log?limit=100${query}`, as(c.moderator))).body.items;
  const ok = async (res: Promise<{ status: number; text: string }>) => {
    const r = await res;
    if (r.status >= 300) throw new Error(`${r.status} ${r.text}`);
  };

  it('holds every staff action, with who, what, target and before/after', async () => {
    const board = await createBoard(t.http, c.admin.accessToken, c.slug, { slug: 'talk' });
    const other = await createBoard(t.http, c.admin.accessToken, c.slug, { slug: 'other' });
    const qa = await createBoard(t.http, c.admin.accessToken, c.slug, { slug: 'ask', kind: 'qa' });
    const thread = await createThread(t.http, c.member.accessToken, board.id, { title: 'Audited' });
    const post = await reply(t.http, c.member2.accessToken, thread.id, 'a reply');
    const question = await createThread(t.http, c.member.accessToken, qa.id, { title: 'A question' });
    const original = await createThread(t.http, c.member2.accessToken, qa.id, { title: 'Original Q' });
    const answer = await reply(t.http, c.member2.accessToken, question.id, 'an answer');
    const victim = await createMember(t.http, c.admin.accessToken, c.slug);

    await ok(t.http.put(`/api/v1/communities/${c.slug}/members/${victim.id}/role`, { role: 'staff' }, as(c.admin)));
    await ok(t.http.patch(`/api/v1/communities/${c.slug}/settings`, { flagsToHide: 4 }, as(c.admin)));
    await ok(t.http.post(`/api/v1/threads/${thread.id}/pin`, undefined, as(c.moderator)));
    await ok(t.http.post(`/api/v1/threads/${thread.id}/lock`, undefined, as(c.moderator)));
    await ok(t.http.post(`/api/v1/threads/${thread.id}/move`, { boardId: other.id }, as(c.moderator)));
    await ok(t.http.post(`/api/v1/posts/${answer.id}/official`, undefined, as(c.staff)));
    await ok(t.http.post(`/api/v1/threads/${question.id}/accept`, { postId: answer.id }, as(c.moderator)));
    await ok(t.http.post(`/api/v1/posts/${answer.id}/faq`, undefined, as(c.staff)));
    await ok(t.http.post(`/api/v1/threads/${original.id}/close-as-duplicate`, { threadId: question.id }, as(c.moderator)));
    await ok(t.http.patch(`/api/v1/posts/${post.id}`, { body: 'edited by a moderator' }, as(c.moderator)));
    await ok(t.http.put(`/api/v1/posts/${post.id}/hidden`, undefined, as(c.moderator)));
    await ok(t.http.delete(`/api/v1/posts/${post.id}/hidden`, as(c.moderator)));
    await ok(t.http.put(`/api/v1/communities/${c.slug}/moderation/rules`, { watchedWords: [{ pattern: 'spam', action: 'flag' }], queueNewMemberFirstPost: false }, as(c.admin)));
    const sanction = await t.http.post(`/api/v1/communities/${c.slug}/sanctions`, { userId: victim.id, kind: 'silence', reason: 'noise' }, as(c.moderator));
    await ok(t.http.delete(`/api/v1/sanctions/${sanction.body.id}`, as(c.moderator)));
    const rep = await t.http.post('/api/v1/reports', { targetType: 'post', targetId: post.id, reason: 'spam' }, as(c.member));
    await ok(t.http.post(`/api/v1/moderation/items/${rep.body.itemId}/resolve`, { action: 'dismiss' }, as(c.moderator)));
    await ok(t.http.delete(`/api/v1/posts/${post.id}`, as(c.moderator)));
    // Authors' own edits and deletions are no staff actions.
    const own = await reply(t.http, c.member.accessToken, question.id, 'mine');
    await ok(t.http.delete(`/api/v1/posts/${own.id}`, as(c.member)));

    const expected = [
      'member.role_changed', 'settings.changed', 'thread.pinned', 'thread.locked', 'thread.moved', 'answer.official', 'answer.accepted',
      'faq.added', 'thread.closed_as_duplicate', 'post.edited', 'post.hidden', 'post.restored', 'rules.changed', 'sanction.created',
      'sanction.lifted', 'review.dismiss', 'post.deleted',
    ];
    const entries = await eventually(async () => {
      const items = await log();
      return expected.every((a) => items.some((e: any) => e.action === a)) ? items : null;
    });
    const find = (action: string) => entries.find((e: any) => e.action === action);
    expect(find('member.role_changed')).toMatchObject({ actor: { id: c.admin.id }, targetId: victim.id, before: { role: 'member' }, after: { role: 'staff' } });
    expect(find('settings.changed')).toMatchObject({ before: { flagsToHide: 3 }, after: { flagsToHide: 4 } });
    expect(find('thread.moved')).toMatchObject({ actor: { id: c.moderator.id }, targetId: thread.id, before: { boardId: board.id }, after: { boardId: other.id } });
    expect(find('sanction.created')).toMatchObject({ reason: 'noise', targetId: victim.id, after: { kind: 'silence', until: null } });
    expect(find('rules.changed')).toMatchObject({ before: { watchedWords: [] }, after: { watchedWords: [{ pattern: 'spam', action: 'flag' }] } });
    expect(entries.filter((e: any) => e.targetId === own.id)).toEqual([]);
    // Each event is logged once.
    expect(entries.filter((e: any) => e.action === 'thread.pinned')).toHaveLength(1);

    // Filters, and pages newest first.
    const byActor = await log(`&actor=${c.admin.id}`);
    expect(byActor.length).toBeGreaterThan(0);
    expect(byActor.every((e: any) => e.actor?.id === c.admin.id)).toBe(true);
    expect((await log('&action=thread.locked')).map((e: any) => e.targetId)).toEqual([thread.id]);
    expect((await log(`&target=${victim.id}`)).map((e: any) => e.action).sort()).toEqual(['member.role_changed', 'sanction.created', 'sanction.lifted']);
    const first = await t.http.get(`/api/v1/communities/${c.slug}/moderation/log?limit=2`, as(c.moderator));
    const second = await t.http.get(`/api/v1/communities/${c.slug}/moderation/log?limit=2&cursor=${first.body.nextCursor}`, as(c.moderator));
    expect(Number(second.body.items[0].id)).toBeLessThan(Number(first.body.items[1].id));
  });

  it('refuses edits: no route changes an entry, and the table itself refuses UPDATE and DELETE', async () => {
    const [entry] = await log();
    expect(entry).toBeDefined();
    for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
      const res = await t.http.request(method, `/api/v1/communities/${c.slug}/moderation/log`, { token: c.admin.accessToken, body: {} });
      expect(res.status).toBe(404);
    }
    await expect(db.query(`UPDATE moderation_audit SET action = 'nothing' WHERE id = $1`, [entry.id])).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM moderation_audit WHERE id = $1`, [entry.id])).rejects.toThrow(/append-only/);
    expect((await log()).find((e: any) => e.id === entry.id)).toEqual(entry);
  });

  it("is for the community's moderators only", async () => {
    expectProblem(await t.http.get(`/api/v1/communities/${c.slug}/moderation/log`, as(c.staff)), 403, 'FORBIDDEN');
    expectProblem(await t.http.get(`/api/v1/communities/${c.slug}/moderation/log`, as(c.outsider)), 403, 'FORBIDDEN');
    expectProblem(await t.http.get(`/api/v1/communities/${c.slug}/moderation/log`), 401, 'UNAUTHENTICATED');
    expect((await t.http.get(`/api/v1/communities/${c.slug}/moderation/log?actor=nope`, as(c.moderator))).status).toBe(400);
    expect((await t.http.get(`/api/v1/communities/${c.slug}/moderation/log?cursor=abc.def`, as(c.moderator))).status).toBe(400);
  });
});

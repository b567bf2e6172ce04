import { Db } from '../src/core/database/db.service';
import { OverdueScheduler } from '../src/qa/overdue.scheduler';
import { startApp, TestApp } from './support/app';
import { createBoard, createThread, NO_LIMITS, reply, setSettings } from './support/content';
import { createCommunity, createMember, loginAdmin, TestUser, unique } from './support/factories';
import { expectProblem } from './support/http';

describe('Q&A', () => {
  let t: TestApp;
  let db: Db;
  let admin: TestUser;
  let slug: string;
  let asker: TestUser;
  let answerer: TestUser;
  let voter: TestUser;
  let staff: TestUser;
  let moderator: TestUser;
  let outsider: TestUser;
  let qa: { id: string };
  let discussion: { id: string };

  beforeAll(async () => {
    t = await startApp();
    db = t.app.get(Db);
    admin = await loginAdmin(t.http);
    ({ slug } = await createCommunity(t.http, admin.accessToken));
    await setSettings(t.http, admin.accessToken, slug, NO_LIMITS);
    [asker, answerer, voter] = [
      await createMember(t.http, admin.accessToken, slug),
      await createMember(t.http, admin.accessToken, slug),
      await createMember(t.http, admin.accessToken, slug),
    ];
    staff = await createMember(t.http, admin.accessToken, slug, 'staff');
    moderator = await createMember(t.http, admin.accessToken, slug, 'moderator');
    const other = await createCommunity(t.http, admin.accessToken);
    outsider = await createMember(t.http, admin.accessToken, other.slug, 'admin');
    qa = await createBoard(t.http, admin.accessToken, slug, { slug: 'questions', kind: 'qa' });
    discussion = await createBoard(t.http, admin.accessToken, slug, { slug: 'chat' });
  });
  afterAll(() => t?.close());

  const ask = (title = 'How do I descale?', extra: Record<string, unknown> = {}, token = asker.accessToken, board = qa.id) =>
    createThread(t.http, token, board, { title, body: 'Question body', ...extra });
  const events = (type: string, threadId: string) =>
    db.query<{ data: Record<string, unknown> }>(`SELECT data FROM events WHERE type = $1 AND data->>'threadId' = $2 ORDER BY id`, [type, threadId]);

  describe('votes', () => {
    it('lets members vote once per post, change and withdraw it, and never on their own post', async () => {
      const q = await ask();
      const answer = await reply(t.http, answerer.accessToken, q.id, 'Use vinegar');
      const vote = (token: string | undefined, value: unknown, postId = answer.id) => t.http.put(`/api/v1/posts/${postId}/vote`, { value }, { token });
      expect((await vote(voter.accessToken, 1)).body).toEqual({ postId: answer.id, score: 1, myVote: 1 });
      expect((await vote(voter.accessToken, 1)).body).toEqual({ postId: answer.id, score: 1, myVote: 1 }); // repeat: still one vote
      expect((await vote(staff.accessToken, 1)).body.score).toBe(2);
      expect((await vote(voter.accessToken, -1)).body).toEqual({ postId: answer.id, score: 0, myVote: -1 });
      expect((await vote(voter.accessToken, 0)).body).toEqual({ postId: answer.id, score: 1, myVote: 0 });
      expectProblem(await vote(answerer.accessToken, 1), 403, 'OWN_POST');
      expectProblem(await vote(undefined, 1), 401, 'UNAUTHENTICATED');
      expectProblem(await vote(outsider.accessToken, 1), 403, 'FORBIDDEN');
      expectProblem(await vote(voter.accessToken, 2), 400, 'VALIDATION_FAILED');
      expectProblem(await vote(voter.accessToken, '1'), 400, 'VALIDATION_FAILED');
      // The question's own score shows on the thread.
      await vote(voter.accessToken, 1, q.firstPost.id);
      await vote(answerer.accessToken, 1, q.firstPost.id);
      const thread = await t.http.get(`/api/v1/threads/${q.id}`, { token: voter.accessToken });
      expect(thread.body.score).toBe(2);
      expect(thread.body.firstPost.myVote).toBe(1);
      const posts = await t.http.get(`/api/v1/threads/${q.id}/posts`, { token: voter.accessToken });
      expect(posts.body.items.map((p: { score: number; myVote: number }) => [p.score, p.myVote])).toEqual([[2, 1], [1, 0]]);
      const cast = await events('vote.cast', q.id);
      expect(cast.map((e) => [e.data.value, e.data.previous])).toEqual([[1, 0], [1, 0], [-1, 1], [0, -1], [1, 0], [1, 0]]);
    });

    it('refuses votes outside Q&A boards', async () => {
      const thread = await createThread(t.http, asker.accessToken, discussion.id);
      expectProblem(await t.http.put(`/api/v1/posts/${thread.firstPost.id}/vote`, { value: 1 }, { token: voter.accessToken }), 422, 'NOT_A_QUESTION');
    });

    it('sorts answers by score, the question first', async () => {
      const q = await ask('Sorting question');
      const [a, b, c] = [await reply(t.http, answerer.accessToken, q.id, 'a'), await reply(t.http, voter.accessToken, q.id, 'b'), await reply(t.http, staff.accessToken, q.id, 'c')];
      await t.http.put(`/api/v1/posts/${c.id}/vote`, { value: 1 }, { token: voter.accessToken });
      await t.http.put(`/api/v1/posts/${c.id}/vote`, { value: 1 }, { token: asker.accessToken });
      await t.http.put(`/api/v1/posts/${b.id}/vote`, { value: 1 }, { token: asker.accessToken });
      await t.http.put(`/api/v1/posts/${a.id}/vote`, { value: -1 }, { token: asker.accessToken });
      const all = await t.http.get(`/api/v1/threads/${q.id}/posts?sort=score`);
      expect(all.body.items.map((p: { id: string }) => p.id)).toEqual([q.firstPost.id, c.id, b.id, a.id]);
      const p1 = await t.http.get(`/api/v1/threads/${q.id}/posts?sort=score&limit=2`);
      const p2 = await t.http.get(`/api/v1/threads/${q.id}/posts?sort=score&limit=2&cursor=${p1.body.nextCursor}`);
      expect([...p1.body.items, ...p2.body.items].map((p: { id: string }) => p.id)).toEqual([q.firstPost.id, c.id, b.id, a.id]);
    });
  });

  describe('accepted and official answers', () => {
    it('lets the asker or a moderator accept, records changes, and keeps the official answer beside it', async () => {
      const q = await ask();
      const a1 = await reply(t.http, answerer.accessToken, q.id, 'first answer');
      const a2 = await reply(t.http, staff.accessToken, q.id, 'brand answer');
      const accept = (token: string | undefined, postId: string, threadId = q.id) => t.http.post(`/api/v1/threads/${threadId}/accept`, { postId }, { token });
      expectProblem(await accept(voter.accessToken, a1.id), 403, 'FORBIDDEN');
      expectProblem(await accept(staff.accessToken, a1.id), 403, 'FORBIDDEN');
      expectProblem(await accept(outsider.accessToken, a1.id), 403, 'FORBIDDEN');
      expectProblem(await accept(undefined, a1.id), 401, 'UNAUTHENTICATED');
      expectProblem(await accept(asker.accessToken, q.firstPost.id), 400, 'VALIDATION_FAILED');
      const other = await ask('Another question');
      expectProblem(await accept(asker.accessToken, a1.id, other.id), 400, 'VALIDATION_FAILED');
      const first = await accept(asker.accessToken, a1.id);
      expect(first.status).toBe(200);
      expect(first.body.acceptedPostId).toBe(a1.id);
      expect((await accept(asker.accessToken, a1.id)).status).toBe(200); // again: no change
      const changed = await accept(moderator.accessToken, a2.id);
      expect(changed.body.acceptedPostId).toBe(a2.id);
      const history = await db.query<{ post_id: string; previous_post_id: string | null; accepted_by: string }>(
        'SELECT post_id, previous_post_id, accepted_by FROM answer_acceptances WHERE thread_id = $1 ORDER BY created_at',
        [q.id],
      );
      expect(history).toEqual([
        { post_id: a1.id, previous_post_id: null, accepted_by: asker.id },
        { post_id: a2.id, previous_post_id: a1.id, accepted_by: moderator.id },
      ]);
      expect((await events('answer.accepted', q.id)).map((e) => [e.data.postId, e.data.authorId, e.data.previousPostId])).toEqual([
        [a1.id, answerer.id, null],
        [a2.id, staff.id, a1.id],
      ]);

      // Official answers: staff and above.
      expectProblem(await t.http.post(`/api/v1/posts/${a1.id}/official`, undefined, { token: answerer.accessToken }), 403, 'FORBIDDEN');
      expectProblem(await t.http.post(`/api/v1/posts/${a1.id}/official`, undefined, { token: outsider.accessToken }), 403, 'FORBIDDEN');
      expectProblem(await t.http.post(`/api/v1/posts/${q.firstPost.id}/official`, undefined, { token: staff.accessToken }), 400, 'VALIDATION_FAILED');
      const official = await t.http.post(`/api/v1/posts/${a1.id}/official`, undefined, { token: staff.accessToken });
      expect(official.body).toEqual(expect.objectContaining({ acceptedPostId: a2.id, officialPostId: a1.id }));
      const posts = await t.http.get(`/api/v1/threads/${q.id}/posts`);
      expect(posts.body.items.map((p: { isAccepted: boolean; isOfficial: boolean; isStaffAnswer: boolean }) => [p.isAccepted, p.isOfficial, p.isStaffAnswer])).toEqual([
        [false, false, false],
        [false, true, false],
        [true, false, true],
      ]);
      const undone = await t.http.delete(`/api/v1/posts/${a1.id}/official`, { token: moderator.accessToken });
      expect(undone.body.officialPostId).toBeNull();
      expect((await events('answer.official', q.id)).map((e) => e.data.official)).toEqual([true, false]);
    });

    it('refuses accepting in a discussion thread', async () => {
      const thread = await createThread(t.http, asker.accessToken, discussion.id);
      const r = await reply(t.http, answerer.accessToken, thread.id);
      expectProblem(await t.http.post(`/api/v1/threads/${thread.id}/accept`, { postId: r.id }, { token: asker.accessToken }), 422, 'NOT_A_QUESTION');
    });

    it('records the first staff answer once, with the time it took', async () => {
      const q = await ask();
      await reply(t.http, answerer.accessToken, q.id, 'member answer');
      const first = await reply(t.http, staff.accessToken, q.id, 'staff answer');
      await reply(t.http, moderator.accessToken, q.id, 'second staff answer');
      const thread = await t.http.get(`/api/v1/threads/${q.id}`);
      expect(thread.body.firstStaffAnswerAt).toBe(first.createdAt);
      const answered = await events('question.answered_by_staff', q.id);
      expect(answered).toHaveLength(1);
      expect(answered[0].data).toEqual(expect.objectContaining({ postId: first.id, authorId: staff.id, askerId: asker.id, responseSeconds: expect.any(Number) }));
    });
  });

  describe('unanswered queue', () => {
    it('lists questions with no staff or accepted answer, oldest first, with age and overdue, for staff only', async () => {
      const c = await createCommunity(t.http, admin.accessToken);
      await setSettings(t.http, admin.accessToken, c.slug, { ...NO_LIMITS, responseTargetMinutes: 60 });
      const board = await createBoard(t.http, admin.accessToken, c.slug, { slug: 'q', kind: 'qa' });
      const board2 = await createBoard(t.http, admin.accessToken, c.slug, { slug: 'q2', kind: 'qa' });
      const m = await createMember(t.http, admin.accessToken, c.slug);
      const m2 = await createMember(t.http, admin.accessToken, c.slug);
      const s = await createMember(t.http, admin.accessToken, c.slug, 'staff');
      const old = await ask('Old question', { productSkus: ['SKU-A'] }, m.accessToken, board.id);
      const fresh = await ask('Fresh question', {}, m.accessToken, board2.id);
      const staffAnswered = await ask('Staff answered', {}, m.accessToken, board.id);
      const accepted = await ask('Accepted by asker', {}, m.accessToken, board.id);
      const memberAnswered = await ask('Only a member answered', {}, m.accessToken, board.id);
      await reply(t.http, s.accessToken, staffAnswered.id, 'staff');
      const ans = await reply(t.http, m2.accessToken, accepted.id, 'peer');
      await t.http.post(`/api/v1/threads/${accepted.id}/accept`, { postId: ans.id }, { token: m.accessToken });
      await reply(t.http, m2.accessToken, memberAnswered.id, 'peer');
      await db.query(`UPDATE threads SET created_at = now() - interval '2 hours' WHERE id = $1`, [old.id]);
      const queue = await t.http.get(`/api/v1/communities/${c.slug}/qa/unanswered`, { token: s.accessToken });
      expect(queue.status).toBe(200);
      expect(queue.body.items.map((q: { title: string; overdue: boolean }) => [q.title, q.overdue])).toEqual([
        ['Old question', true],
        ['Fresh question', false],
        ['Only a member answered', false],
      ]);
      expect(queue.body.items[0].ageSeconds).toBeGreaterThanOrEqual(7200);
      expect(queue.body.items[1].ageSeconds).toBeLessThan(600);
      const bySku = await t.http.get(`/api/v1/communities/${c.slug}/qa/unanswered?sku=SKU-A`, { token: s.accessToken });
      expect(bySku.body.items.map((q: { id: string }) => q.id)).toEqual([old.id]);
      const byBoard = await t.http.get(`/api/v1/communities/${c.slug}/qa/unanswered?board=${board2.id}`, { token: s.accessToken });
      expect(byBoard.body.items.map((q: { id: string }) => q.id)).toEqual([fresh.id]);
      const page = await t.http.get(`/api/v1/communities/${c.slug}/qa/unanswered?limit=2`, { token: s.accessToken });
      const page2 = await t.http.get(`/api/v1/communities/${c.slug}/qa/unanswered?limit=2&cursor=${page.body.nextCursor}`, { token: s.accessToken });
      expect([...page.body.items, ...page2.body.items].map((q: { id: string }) => q.id)).toEqual([old.id, fresh.id, memberAnswered.id]);
      expectProblem(await t.http.get(`/api/v1/communities/${c.slug}/qa/unanswered`, { token: m.accessToken }), 403, 'FORBIDDEN');
      expectProblem(await t.http.get(`/api/v1/communities/${c.slug}/qa/unanswered`, { token: staff.accessToken }), 403, 'FORBIDDEN');
      expectProblem(await t.http.get(`/api/v1/communities/${c.slug}/qa/unanswered?sku=bad%20sku`, { token: s.accessToken }), 400, 'VALIDATION_FAILED');
    });
  });

  describe('response times', () => {
    it('computes counts, p50, p90 and shares exactly on a known set of questions', async () => {
      const c = await createCommunity(t.http, admin.accessToken);
      await setSettings(t.http, admin.accessToken, c.slug, NO_LIMITS);
      const board = await createBoard(t.http, admin.accessToken, c.slug, { slug: 'q', kind: 'qa' });
      const other = await createBoard(t.http, admin.accessToken, c.slug, { slug: 'other', kind: 'qa' });
      const m = await createMember(t.http, admin.accessToken, c.slug);
      const s = await createMember(t.http, admin.accessToken, c.slug, 'staff');
      // Seconds from question to first staff answer; two questions stay unanswered.
      const answerAfter = [600, 1800, 7200, 18000, 50000, 100000];
      for (const [i, seconds] of answerAfter.entries()) {
        const q = await ask(`Question ${i}`, { productSkus: i < 3 ? ['FAST'] : ['SLOW'] }, m.accessToken, board.id);
        await reply(t.http, m.accessToken, q.id, 'a member answer does not count');
        await reply(t.http, s.accessToken, q.id, 'staff answer');
        // Place the question `seconds` before its (real) first staff answer.
        await db.query(`UPDATE threads SET created_at = first_staff_answer_at - make_interval(secs => $2) WHERE id = $1`, [q.id, seconds]);
      }
      for (let i = 0; i < 2; i++) await ask(`Unanswered ${i}`, {}, m.accessToken, board.id);
      const ancient = await ask('Asked long ago', {}, m.accessToken, other.id);
      await reply(t.http, s.accessToken, ancient.id, 'late');
      await db.query(`UPDATE threads SET created_at = now() - interval '40 days' WHERE id = $1`, [ancient.id]);

      const stats = await t.http.get(`/api/v1/communities/${c.slug}/qa/response-times`, { token: s.accessToken });
      expect(stats.status).toBe(200);
      expect(stats.body).toEqual({
        from: expect.any(String),
        to: expect.any(String),
        questions: 8,
        answered: 6,
        firstResponseSeconds: { p50: 12600, p90: 75000 },
        within: { '1h': 0.25, '4h': 0.375, '24h': 0.625 },
      });
      expect(Date.parse(stats.body.to) - Date.parse(stats.body.from)).toBe(30 * 86_400_000);
      const fast = await t.http.get(`/api/v1/communities/${c.slug}/qa/response-times?sku=FAST`, { token: s.accessToken });
      expect(fast.body).toEqual(expect.objectContaining({ questions: 3, answered: 3, firstResponseSeconds: { p50: 1800, p90: 6120 }, within: { '1h': 2 / 3, '4h': 1, '24h': 1 } }));
      const from = new Date(Date.now() - 60 * 86_400_000).toISOString();
      const withOld = await t.http.get(`/api/v1/communities/${c.slug}/qa/response-times?from=${from}&board=${other.id}`, { token: s.accessToken });
      expect(withOld.body).toEqual(expect.objectContaining({ questions: 1, answered: 1, within: { '1h': 0, '4h': 0, '24h': 0 } }));
      const empty = await t.http.get(`/api/v1/communities/${c.slug}/qa/response-times?from=2020-01-01&to=2020-02-01`, { token: s.accessToken });
      expect(empty.body).toEqual(expect.objectContaining({ questions: 0, answered: 0, firstResponseSeconds: { p50: null, p90: null }, within: { '1h': 0, '4h': 0, '24h': 0 } }));
    });

    it('rejects bad ranges and non-staff callers', async () => {
      const url = `/api/v1/communities/${slug}/qa/response-times`;
      expectProblem(await t.http.get(`${url}?from=2024-02-01&to=2024-01-01`, { token: staff.accessToken }), 400, 'VALIDATION_FAILED');
      expectProblem(await t.http.get(`${url}?from=2020-01-01&to=2024-01-01`, { token: staff.accessToken }), 400, 'VALIDATION_FAILED');
      expectProblem(await t.http.get(`${url}?from=yesterday`, { token: staff.accessToken }), 400, 'VALIDATION_FAILED');
      expectProblem(await t.http.get(`${url}?board=nope`, { token: staff.accessToken }), 400, 'VALIDATION_FAILED');
      expectProblem(await t.http.get(url, { token: voter.accessToken }), 403, 'FORBIDDEN');
      expectProblem(await t.http.get(url, { token: outsider.accessToken }), 403, 'FORBIDDEN');
      expectProblem(await t.http.get(url), 401, 'UNAUTHENTICATED');
    });
  });

  describe('overdue escalation', () => {
    it('records question.overdue exactly once, only for questions past the target without a staff answer', async () => {
      const c = await createCommunity(t.http, admin.accessToken);
      await setSettings(t.http, admin.accessToken, c.slug, { ...NO_LIMITS, responseTargetMinutes: 30 });
      const board = await createBoard(t.http, admin.accessToken, c.slug, { slug: 'q', kind: 'qa' });
      const m = await createMember(t.http, admin.accessToken, c.slug);
      const s = await createMember(t.http, admin.accessToken, c.slug, 'staff');
      const late = await ask('Waiting too long', { productSkus: ['SKU-9'] }, m.accessToken, board.id);
      const answered = await ask('Answered in time', {}, m.accessToken, board.id);
      await ask('Just asked', {}, m.accessToken, board.id); // too recent to be overdue
      await reply(t.http, s.accessToken, answered.id, 'here you go');
      await db.query(`UPDATE threads SET created_at = now() - interval '31 minutes' WHERE id = ANY($1::uuid[])`, [[late.id, answered.id]]);
      const scheduler = t.app.get(OverdueScheduler);
      await Promise.all([scheduler.check(), scheduler.check()]);
      await scheduler.check();
      const rows = await db.query<{ data: Record<string, unknown> }>(`SELECT data FROM events WHERE type = 'question.overdue' AND community_id = $1`, [c.id]);
      expect(rows.map((r) => r.data)).toEqual([
        expect.objectContaining({ threadId: late.id, askerId: m.id, targetMinutes: 30, productSkus: ['SKU-9'], boardId: board.id }),
      ]);
    });
  });

  describe('FAQ', () => {
    it('lets staff promote accepted or official answers, lists them, and ranks them first in search', async () => {
      const q = await ask('Warranty claim for a grinder');
      const plain = await reply(t.http, answerer.accessToken, q.id, 'grinder warranty grinder warranty grinder warranty');
      const good = await reply(t.http, staff.accessToken, q.id, 'Claim the grinder warranty online');
      expectProblem(await t.http.post(`/api/v1/posts/${good.id}/faq`, undefined, { token: staff.accessToken }), 409, 'NOT_ACCEPTED_OR_OFFICIAL');
      await t.http.post(`/api/v1/posts/${good.id}/official`, undefined, { token: staff.accessToken });
      expectProblem(await t.http.post(`/api/v1/posts/${good.id}/faq`, undefined, { token: answerer.accessToken }), 403, 'FORBIDDEN');
      const added = await t.http.post(`/api/v1/posts/${good.id}/faq`, undefined, { token: staff.accessToken });
      expect(added.status).toBe(201);
      expect(added.body).toEqual({ thread: expect.objectContaining({ id: q.id }), post: expect.objectContaining({ id: good.id, isFaq: true, isOfficial: true }) });
      const faq = await t.http.get(`/api/v1/communities/${slug}/faq`);
      expect(faq.body.items.map((e: { post: { id: string } }) => e.post.id)).toEqual([good.id]);
      const hits = await t.http.get(`/api/v1/communities/${slug}/search?q=grinder+warranty`);
      // One hit per thread: the FAQ thread first, shown by its FAQ answer rather than the reply that repeats the words.
      expect(hits.body.items[0].post.id).toBe(good.id);
      expect(hits.body.items.filter((h: { thread: { id: string } }) => h.thread.id === q.id)).toHaveLength(1);
      expect(hits.body.items.map((h: { post: { id: string } }) => h.post.id)).not.toContain(plain.id);
      expect((await t.http.delete(`/api/v1/posts/${good.id}/faq`, { token: staff.accessToken })).status).toBe(204);
      expect((await t.http.get(`/api/v1/communities/${slug}/faq`)).body.items).toEqual([]);
    });
  });

  describe('duplicates', () => {
    it('lets moderators close a question as a duplicate of another, which locks it and drops it from the queue', async () => {
      const original = await ask('Original question');
      const dup = await ask('Same question again');
      const close = (token: string, body: unknown, id = dup.id) => t.http.post(`/api/v1/threads/${id}/close-as-duplicate`, body, { token });
      expectProblem(await close(staff.accessToken, { threadId: original.id }), 403, 'FORBIDDEN');
      expectProblem(await close(moderator.accessToken, { threadId: dup.id }), 400, 'VALIDATION_FAILED');
      expectProblem(await close(moderator.accessToken, { threadId: 'nope' }), 400, 'VALIDATION_FAILED');
      const closed = await close(moderator.accessToken, { threadId: original.id });
      expect(closed.status).toBe(200);
      expect(closed.body).toEqual(expect.objectContaining({ duplicateOfThreadId: original.id, locked: true }));
      expectProblem(await t.http.post(`/api/v1/threads/${dup.id}/posts`, { body: 'me too' }, { token: voter.accessToken }), 409, 'THREAD_LOCKED');
      const queue = await t.http.get(`/api/v1/communities/${slug}/qa/unanswered?limit=100`, { token: staff.accessToken });
      const ids = queue.body.items.map((q: { id: string }) => q.id);
      expect(ids).toContain(original.id);
      expect(ids).not.toContain(dup.id);
      const elsewhere = await createCommunity(t.http, admin.accessToken);
      const eb = await createBoard(t.http, admin.accessToken, elsewhere.slug, { slug: 'q', kind: 'qa' });
      const foreign = await createThread(t.http, admin.accessToken, eb.id, { title: unique('Foreign ') });
      const third = await ask('Third question');
      expectProblem(await close(admin.accessToken, { threadId: foreign.id }, third.id), 400, 'VALIDATION_FAILED');
    });
  });

  it('keeps questions of other communities apart', async () => {
    const q = await ask('Private to this community');
    const a = await reply(t.http, answerer.accessToken, q.id, 'answer');
    expectProblem(await t.http.get(`/api/v1/communities/${slug}/qa/unanswered`, { token: outsider.accessToken }), 403, 'FORBIDDEN');
    expectProblem(await t.http.post(`/api/v1/posts/${a.id}/official`, undefined, { token: outsider.accessToken }), 403, 'FORBIDDEN');
    expectProblem(await t.http.post(`/api/v1/posts/${a.id}/faq`, undefined, { token: outsider.accessToken }), 403, 'FORBIDDEN');
    expectProblem(await t.http.put(`/api/v1/posts/${a.id}/vote`, { value: 1 }, { token: outsider.accessToken }), 403, 'FORBIDDEN');
  });
});

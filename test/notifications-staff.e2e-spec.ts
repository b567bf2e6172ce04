import { randomUUID } from 'node:crypto';
import { createBoard, createCast, createThread, reply, Cast } from './support/content';
import { startApp, TestApp } from './support/app';
import { expectProblem } from './support/http';
import { inbox, recordEvent } from './support/notifications';

/** Q&A, staff alerts, moderation and loyalty rules, and preferences. */
describe('notifications: Q&A, staff, moderation, loyalty, preferences', () => {
  let t: TestApp;
  let cast: Cast;
  let qa: { id: string };
  let talk: { id: string };

  beforeAll(async () => {
    t = await startApp();
    cast = await createCast(t.http);
    qa = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'help', kind: 'qa' });
    talk = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'talk' });
  }, 60_000);
  afterAll(() => t?.close());

  const ofType = async (user: { accessToken: string; id: string }, type: string, extra: (n: any) => boolean = () => true) =>
    (await inbox(t, user as any)).items.filter((n) => n.type === type && extra(n));

  it('a question alerts staff (not members, not the asker); a staff answer, acceptance and official mark reach their people', async () => {
    const q = await createThread(t.http, cast.member.accessToken, qa.id, { title: 'Warranty?' });
    for (const who of [cast.staff, cast.moderator, cast.admin]) {
      expect(await ofType(who, 'new_question', (n) => n.threadId === q.id)).toEqual([expect.objectContaining({ title: 'New question: “Warranty?”' })]);
    }
    expect(await ofType(cast.member2, 'new_question')).toEqual([]);
    expect(await ofType(cast.member, 'new_question')).toEqual([]);
    expect(await ofType(cast.outsider, 'new_question')).toEqual([]);

    const answer = await reply(t.http, cast.staff.accessToken, q.id, 'Two years.');
    expect(await ofType(cast.member, 'question_answered', (n) => n.threadId === q.id)).toEqual([
      expect.objectContaining({ title: 'Staff answered your question “Warranty?”', postId: answer.id, actor: expect.objectContaining({ id: cast.staff.id }) }),
    ]);
    const accepted = await t.http.post(`/api/v1/threads/${q.id}/accept`, { postId: answer.id }, { token: cast.member.accessToken });
    expect(accepted.status).toBe(200);
    expect(await ofType(cast.staff, 'answer_accepted', (n) => n.threadId === q.id)).toEqual([expect.objectContaining({ title: 'Your answer to “Warranty?” was accepted' })]);
    const official = await t.http.post(`/api/v1/posts/${answer.id}/official`, undefined, { token: cast.moderator.accessToken });
    expect(official.status).toBe(200);
    expect(await ofType(cast.staff, 'answer_official', (n) => n.threadId === q.id)).toHaveLength(1);
  });

  it('question.overdue alerts staff; support.requested alerts staff with the room', async () => {
    const q = await createThread(t.http, cast.member.accessToken, qa.id, { title: 'Still waiting' });
    await recordEvent(t, 'question.overdue', { communityId: cast.communityId, boardId: qa.id, threadId: q.id, askerId: cast.member.id, askedAt: new Date().toISOString(), targetMinutes: 240, productSkus: [] }, cast.communityId);
    expect(await ofType(cast.staff, 'question_overdue', (n) => n.threadId === q.id)).toEqual([expect.objectContaining({ actor: null, title: 'Question waiting over 240 minutes: “Still waiting”' })]);
    expect(await ofType(cast.member, 'question_overdue')).toEqual([]);

    const roomId = randomUUID();
    await recordEvent(t, 'support.requested', { communityId: cast.communityId, roomId, customerId: cast.member.id }, cast.communityId);
    expect(await ofType(cast.staff, 'support_requested')).toEqual([expect.objectContaining({ roomId, url: `/c/${cast.slug}/chat/${roomId}`, actor: expect.objectContaining({ id: cast.member.id }) })]);
    expect(await ofType(cast.member2, 'support_requested')).toEqual([]);
  });

  it('reports wait for moderators (collapsed); hidden, restored and moved content and sanctions reach the member', async () => {
    const thread = await createThread(t.http, cast.member.accessToken, talk.id, { title: 'Spicy' });
    const report = (reporterId: string) => recordEvent(t, 'report.created', {
      communityId: cast.communityId, reportId: randomUUID(), itemId: randomUUID(), targetType: 'post', targetId: thread.firstPost.id, reporterId, reason: 'spam',
    }, cast.communityId);
    await report(cast.member2.id);
    await report(cast.staff.id);
    expect(await ofType(cast.moderator, 'review_waiting')).toEqual([expect.objectContaining({ count: 2, title: '2 reports are waiting for review' })]);
    expect(await ofType(cast.admin, 'review_waiting')).toEqual([expect.objectContaining({ count: 2 })]);
    expect(await ofType(cast.staff, 'review_waiting')).toEqual([]);

    const post = { communityId: cast.communityId, boardId: talk.id, threadId: thread.id, postId: thread.firstPost.id, authorId: cast.member.id };
    await recordEvent(t, 'post.hidden', { ...post, hiddenBy: cast.moderator.id, reason: 'off-topic', isFirst: true }, cast.communityId);
    await recordEvent(t, 'post.restored', { ...post, restoredBy: cast.moderator.id, isFirst: true }, cast.communityId);
    const other = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'elsewhere' });
    expect((await t.http.post(`/api/v1/threads/${thread.id}/move`, { boardId: other.id }, { token: cast.moderator.accessToken })).status).toBe(200);
    const moderated = await ofType(cast.member, 'content_moderated', (n) => n.threadId === thread.id);
    expect(moderated.map((n) => n.title)).toEqual([
      'Your thread “Spicy” was moved to another board',
      'Your thread “Spicy” is visible again',
      'Your thread “Spicy” was hidden',
    ]);
    expect(moderated[2].excerpt).toBe('off-topic');

    await recordEvent(t, 'member.sanctioned', { communityId: cast.communityId, userId: cast.member2.id, sanctionId: randomUUID(), kind: 'silence', until: null, reason: 'rude', by: cast.moderator.id }, cast.communityId);
    expect(await ofType(cast.member2, 'sanction')).toEqual([expect.objectContaining({ title: 'A moderator applied a silence to your account', excerpt: 'rude' })]);
  });

  it('points earned on approval collapse per day; pending points say nothing; tier changes notify', async () => {
    const earned = (points: number, status: string) =>
      recordEvent(t, 'points.earned', { communityId: cast.communityId, userId: cast.member2.id, entryId: randomUUID(), points, rule: 'reply', status }, cast.communityId);
    await earned(5, 'pending');
    expect(await ofType(cast.member2, 'points_earned')).toEqual([]);
    await earned(5, 'approved');
    await earned(10, 'approved');
    expect(await ofType(cast.member2, 'points_earned')).toEqual([expect.objectContaining({ count: 2, title: 'You earned 15 points today', actor: null })]);
    await recordEvent(t, 'tier.changed', { communityId: cast.communityId, userId: cast.member2.id, tier: 'Silver', previousTier: 'Bronze' }, cast.communityId);
    expect(await ofType(cast.member2, 'tier_changed')).toEqual([expect.objectContaining({ title: 'Your tier is now Silver' })]);
    expect((await inbox(t, cast.outsider)).items).toEqual([]);
  });

  it('preferences: documented defaults, partial updates, off stops a type, bad input is 400', async () => {
    const user = cast.member2;
    const get = await t.http.get('/api/v1/me/notification-preferences', { token: user.accessToken });
    expect(get.body).toEqual(expect.objectContaining({ digestFrequency: 'weekly', lastDigestAt: null }));
    expect(get.body.types).toEqual(expect.objectContaining({ mention: 'email', thread_reply: 'digest', points_earned: 'inapp', new_question: 'email' }));
    const put = await t.http.put('/api/v1/me/notification-preferences', { types: { mention: 'off' }, digestFrequency: 'daily' }, { token: user.accessToken });
    expect(put.body).toEqual(expect.objectContaining({ digestFrequency: 'daily', types: expect.objectContaining({ mention: 'off', thread_reply: 'digest' }) }));
    const again = await t.http.put('/api/v1/me/notification-preferences', { types: { thread_reply: 'inapp' } }, { token: user.accessToken });
    expect(again.body.types).toEqual(expect.objectContaining({ mention: 'off', thread_reply: 'inapp' }));
    expect(again.body.digestFrequency).toBe('daily');

    const before = (await inbox(t, user)).items.length;
    await createThread(t.http, cast.member.accessToken, talk.id, { title: 'Quiet mention', body: `@${user.displayName.split(' ').join('')}` });
    expect((await inbox(t, user)).items.length).toBe(before);

    expectProblem(await t.http.put('/api/v1/me/notification-preferences', { types: { shouting: 'email' } }, { token: user.accessToken }), 400, 'VALIDATION_FAILED');
    expectProblem(await t.http.put('/api/v1/me/notification-preferences', { types: { mention: 'pigeon' } }, { token: user.accessToken }), 400, 'VALIDATION_FAILED');
    expectProblem(await t.http.put('/api/v1/me/notification-preferences', { digestFrequency: 'hourly' }, { token: user.accessToken }), 400, 'VALIDATION_FAILED');
    expectProblem(await t.http.put('/api/v1/me/notification-preferences', { extra: 1 }, { token: user.accessToken }), 400, 'VALIDATION_FAILED');
    expect((await t.http.get('/api/v1/me/notification-preferences')).status).toBe(401);
  });
});

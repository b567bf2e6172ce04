import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { startApp, TestApp } from './support/app';
import { Cast, createBoard, createCast, createThread, reply } from './support/content';
import { eventually } from './support/factories';
import { uploadImage } from './support/fuzz/fixtures';
import { inbox, recordEvent } from './support/notifications';
import { PageClient, signInPage } from './support/page-client';

/**
 * The rest of the customers' pages over HTTP: the similar-questions typeahead's endpoint, photos
 * on the new-thread and reply forms (the drop zone's upload, and plain file inputs without
 * JavaScript), accepting an answer, the live bell's script, and notification links to pages.
 */
describe('web pages: ask, photos, accept, bell, notification links (HTTP)', () => {
  let t: TestApp;
  let cast: Cast;
  let qa: { id: string; slug: string };
  let talk: { id: string; slug: string };
  let hidden: { id: string; slug: string };
  let png: Buffer;
  let member: PageClient;

  const json = async (client: PageClient | null, path: string) => {
    const res = client ? await client.get(path) : await new PageClient(t.baseUrl).get(path);
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: JSON.parse(res.text) };
  };
  const csrfHeader = (html: string) => ({ 'x-csrf-token': /<meta name="csrf-token" content="([^"]+)"/.exec(html)![1] });
  const threadOf = async (id: string) => (await t.http.get(`/api/v1/threads/${id}`, { token: cast.member.accessToken })).body;
  const postsOf = async (id: string) => (await t.http.get(`/api/v1/threads/${id}/posts`, { token: cast.member.accessToken })).body.items as any[];
  const blob = (data: Buffer, type = 'image/png') => new Blob([new Uint8Array(data)], { type });

  /** A multipart form with repeated fields and several files, as a browser sends it. */
  async function postForm(client: PageClient, path: string, fields: Array<[string, string | Blob]>) {
    const form = new FormData();
    for (const [k, v] of fields) {
      if (typeof v === 'string') form.append(k, v);
      else form.append(k, v, 'photo.png');
    }
    const res = await fetch(t.baseUrl + path, { method: 'POST', body: form, headers: { cookie: client.cookieHeader() }, redirect: 'manual' });
    return { status: res.status, headers: res.headers, text: await res.text() };
  }

  beforeAll(async () => {
    t = await startApp();
    cast = await createCast(t.http);
    qa = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'help', name: 'Help', kind: 'qa' });
    talk = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'talk', name: 'Talk' });
    hidden = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'staffroom', name: 'Staff room', visibility: 'staff' });
    for (const title of ['How do I descale the kettle?', 'Kettle descaling with vinegar', 'Descale the K2 kettle fast', 'Kettle lid will not close', 'Kettle whistles too loud', 'Kettle base is wobbly', 'Kettle light stays on']) {
      await createThread(t.http, cast.member2.accessToken, qa.id, { title });
    }
    await createThread(t.http, cast.member2.accessToken, talk.id, { title: 'My kettle collection' });
    await createThread(t.http, cast.staff.accessToken, hidden.id, { title: 'Kettle recall plan (internal)' });
    png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#a63' } }).png().toBuffer();
    member = await signInPage(t.baseUrl, cast.member.email, cast.member.password);
  }, 180_000);
  afterAll(() => t?.close());

  describe('similar questions', () => {
    it('answers up to 5 questions of the board as links to their pages, as the viewer may see them', async () => {
      const res = await eventually(async () => {
        const r = await json(member, `/c/${cast.slug}/similar?q=${encodeURIComponent('descale kettle')}&board=${qa.id}`);
        if (!(r.body.items?.length >= 2)) throw new Error('not indexed yet');
        return r;
      });
      expect(res.status).toBe(200);
      expect(res.type).toContain('application/json');
      expect(res.body.items.length).toBeLessThanOrEqual(5);
      const first = res.body.items[0];
      expect(first.title).toMatch(/descal/i);
      expect(first.url).toMatch(/^\/t\/[0-9a-f-]{36}\/[a-z0-9-]+$/);
      // The link is the thread's page.
      expect((await member.get(first.url)).status).toBe(200);

      const many = await eventually(async () => {
        const r = await json(member, `/c/${cast.slug}/similar?q=kettle&board=${qa.id}`);
        if (r.body.items?.length !== 5) throw new Error('not indexed yet');
        return r;
      });
      expect(many.body.items.map((i: any) => i.title).every((title: string) => /kettle/i.test(title))).toBe(true);
      // Only the board's questions; the whole community without a board; never a board the viewer may not see.
      expect(many.body.items.map((i: any) => i.title)).not.toContain('My kettle collection');
      const all = await json(member, `/c/${cast.slug}/similar?q=${encodeURIComponent('kettle recall')}`);
      expect(all.body.items.map((i: any) => i.title)).not.toContain('Kettle recall plan (internal)');
      const staff = await signInPage(t.baseUrl, cast.staff.email, cast.staff.password);
      const staffSees = await eventually(async () => {
        const r = await json(staff, `/c/${cast.slug}/similar?q=${encodeURIComponent('kettle recall')}`);
        if (!r.body.items.some((i: any) => i.title === 'Kettle recall plan (internal)')) throw new Error('not indexed yet');
        return r;
      });
      expect(staffSees.status).toBe(200);
      // A guest may ask too (public boards only).
      const guest = await json(null, `/c/${cast.slug}/similar?q=${encodeURIComponent('kettle recall')}`);
      expect(guest.status).toBe(200);
      expect(guest.body.items.map((i: any) => i.title)).not.toContain('Kettle recall plan (internal)');
    });

    it('asks nothing under 3 characters; bad input is a 4xx in JSON', async () => {
      expect(await json(member, `/c/${cast.slug}/similar?q=ke`)).toEqual(expect.objectContaining({ status: 200, body: { items: [] } }));
      expect(await json(member, `/c/${cast.slug}/similar`)).toEqual(expect.objectContaining({ status: 200, body: { items: [] } }));
      expect(await json(member, `/c/${cast.slug}/similar?q=kettle&q=other`)).toEqual(expect.objectContaining({ status: 200, body: { items: [] } }));
      const badBoard = await json(member, `/c/${cast.slug}/similar?q=kettle&board=not-a-board`);
      expect(badBoard.status).toBe(400);
      expect(badBoard.body.code).toBe('VALIDATION_FAILED');
      expect((await json(member, `/c/no-such-community/similar?q=kettle`)).status).toBe(404);
      const long = await json(member, `/c/${cast.slug}/similar?q=${'kettle '.repeat(60)}`);
      expect(long.status).toBe(200);
    });

    it('the "Ask a question" form has the similar-questions region on a Q&A board only, and a photo field on both', async () => {
      const ask = await member.get(`/c/${cast.slug}/b/${qa.slug}/new`);
      expect(ask.status).toBe(200);
      expect(ask.text).toContain('Similar questions already asked');
      expect(ask.text).toMatch(/<script src="\/assets\/ask\.[0-9a-f]+\.js" defer>/);
      expect(ask.text).toMatch(/<input id="thread-photos" type="file" name="photos"/);
      const plain = await member.get(`/c/${cast.slug}/b/${talk.slug}/new`);
      expect(plain.text).not.toContain('Similar questions already asked');
      expect(plain.text).not.toMatch(/\/assets\/ask\./);
      expect(plain.text).toMatch(/\/assets\/photos\.[0-9a-f]+\.js/);
    });
  });

  describe('photos', () => {
    it('the drop zone uploads a photo (members, with the CSRF header) and the form posts it as attachmentIds', async () => {
      const page = await member.get(`/c/${cast.slug}/b/${qa.slug}/new`);
      const up = await member.post(`/c/${cast.slug}/photos`, { file: blob(png) }, csrfHeader(page.text));
      expect(up.status).toBe(201);
      const photo = JSON.parse(up.text);
      expect(photo).toEqual({ id: expect.any(String), width: 40, height: 30, contentType: expect.stringMatching(/^image\//) });

      const res = await postForm(member, `/c/${cast.slug}/b/${qa.slug}/new`, [
        ['_csrf', member.csrfFrom(page.text)],
        ['title', 'Photo of the scale inside my kettle'],
        ['body', 'See the photo.'],
        ['attachmentIds', photo.id],
        ['photos', blob(Buffer.alloc(0), 'application/octet-stream')], // the file input left empty
      ]);
      expect(res.status).toBe(303);
      const threadId = /\/t\/([0-9a-f-]{36})\//.exec(res.headers.get('location')!)![1];
      const [first] = await postsOf(threadId);
      expect(first.attachments.map((a: any) => a.id)).toEqual([photo.id]);
      // The thread page shows it.
      const shown = await member.get(res.headers.get('location')!);
      expect(shown.text).toContain('alt="Photo 1 of 1 from');
    });

    it('refuses uploads without the CSRF header, from guests and non-members, and files that are not images', async () => {
      const page = await member.get(`/c/${cast.slug}/b/${qa.slug}/new`);
      const noCsrf = await member.post(`/c/${cast.slug}/photos`, { file: blob(png) });
      expect(noCsrf.status).toBe(403);
      const guest = new PageClient(t.baseUrl);
      expect((await guest.post(`/c/${cast.slug}/photos`, { file: blob(png) })).status).toBe(403);
      const outsider = await signInPage(t.baseUrl, cast.outsider.email, cast.outsider.password);
      const home = await outsider.get(`/c/${cast.slug}`);
      const notMember = await outsider.post(`/c/${cast.slug}/photos`, { file: blob(png) }, csrfHeader(home.text));
      expect(notMember.status).toBe(403);
      expect(JSON.parse(notMember.text)).toEqual(expect.objectContaining({ status: 403, detail: 'You are not a member of this community' }));
      const text = await member.post(`/c/${cast.slug}/photos`, { file: blob(Buffer.from('not an image at all'), 'image/png') }, csrfHeader(page.text));
      expect([415, 422]).toContain(text.status);
      expect(JSON.parse(text.text).detail).toEqual(expect.any(String));
      const noFile = await member.post(`/c/${cast.slug}/photos`, { other: 'x' }, csrfHeader(page.text));
      expect(noFile.status).toBe(400);
      const notMultipart = await fetch(`${t.baseUrl}/c/${cast.slug}/photos`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', cookie: member.cookieHeader(), ...csrfHeader(page.text) } });
      expect(notMultipart.status).toBe(415);
    });

    it('without JavaScript the form sends its files; the server uploads them and attaches them to the thread and to a reply', async () => {
      const page = await member.get(`/c/${cast.slug}/b/${talk.slug}/new`);
      const res = await postForm(member, `/c/${cast.slug}/b/${talk.slug}/new`, [
        ['_csrf', member.csrfFrom(page.text)],
        ['title', 'My kitchen, two photos'],
        ['body', 'Photos attached.'],
        ['photos', blob(png)],
        ['photos', blob(png)],
      ]);
      expect(res.status).toBe(303);
      const threadPath = res.headers.get('location')!;
      const threadId = /\/t\/([0-9a-f-]{36})\//.exec(threadPath)![1];
      expect((await postsOf(threadId))[0].attachments).toHaveLength(2);

      const threadPage = await member.get(threadPath);
      expect(threadPage.text).toMatch(/<input id="reply-photos" type="file" name="photos"/);
      const replied = await postForm(member, `/t/${threadId}/reply`, [['_csrf', member.csrfFrom(threadPage.text)], ['body', 'And one more.'], ['photos', blob(png)]]);
      expect(replied.status).toBe(303);
      const posts = await postsOf(threadId);
      expect(posts[1].attachments).toHaveLength(1);
    });

    it('shows photo errors beside the field and keeps the text and the photos already uploaded', async () => {
      const page = await member.get(`/c/${cast.slug}/b/${talk.slug}/new`);
      const csrf = member.csrfFrom(page.text);
      // Six files: more than a post may carry.
      const six = await postForm(member, `/c/${cast.slug}/b/${talk.slug}/new`, [
        ['_csrf', csrf], ['title', 'Too many photos'], ['body', 'Six of them.'],
        ...Array.from({ length: 6 }, () => ['photos', blob(png)] as [string, Blob]),
      ]);
      expect(six.status).toBe(413);
      expect(six.text).toContain('At most 5 photos per post');
      expect(six.text).toContain('value="Too many photos"');
      expect(six.text).toMatch(/id="thread-photos"[^>]*aria-invalid="true"/);

      // A file that is not an image: the valid ones before it stay, as checked boxes.
      const bad = await postForm(member, `/c/${cast.slug}/b/${talk.slug}/new`, [
        ['_csrf', csrf], ['title', 'One good, one bad'], ['body', 'Hmm.'], ['photos', blob(png)], ['photos', blob(Buffer.from('garbage'))],
      ]);
      expect([415, 422]).toContain(bad.status);
      expect(bad.text).toMatch(/<input type="checkbox" name="attachmentIds" value="[0-9a-f-]{36}" checked> Photo 1 \(uploaded\)/);
      const keptId = /name="attachmentIds" value="([0-9a-f-]{36})"/.exec(bad.text)![1];
      // Sent again with the kept photo: posted with it.
      const again = await postForm(member, `/c/${cast.slug}/b/${talk.slug}/new`, [['_csrf', member.csrfFrom(bad.text)], ['title', 'One good, one bad'], ['body', 'Hmm.'], ['attachmentIds', keptId]]);
      expect(again.status).toBe(303);
      const threadId = /\/t\/([0-9a-f-]{36})\//.exec(again.headers.get('location')!)![1];
      expect((await postsOf(threadId))[0].attachments.map((a: any) => a.id)).toEqual([keptId]);

      // Someone else's upload is refused beside the photo field.
      const theirs = await uploadImage(t.baseUrl, cast.member2.accessToken, cast.slug, png);
      const stolen = await postForm(member, `/c/${cast.slug}/b/${talk.slug}/new`, [['_csrf', csrf], ['title', 'Not my photo'], ['body', 'Hmm.'], ['attachmentIds', theirs.id]]);
      expect(stolen.status).toBe(400);
      expect(stolen.text).toContain('An attachment is unknown, already used, or not yours');
      expect(stolen.text).toMatch(/id="thread-photos"[^>]*aria-invalid="true"/);
      // Not an id at all.
      const junk = await postForm(member, `/c/${cast.slug}/b/${talk.slug}/new`, [['_csrf', csrf], ['title', 'Junk id'], ['body', 'Hmm.'], ['attachmentIds', 'nope']]);
      expect(junk.status).toBe(400);
    });
  });

  describe('accepting an answer', () => {
    it('the asker accepts an answer from the thread page; nobody else sees the button or may', async () => {
      const q = await createThread(t.http, cast.member.accessToken, qa.id, { title: 'Which filter fits the K3?' });
      const answer = await reply(t.http, cast.staff.accessToken, q.id, 'The F3 filter.');
      const page = await member.get(`/t/${q.id}/which-filter-fits-the-k3`);
      expect(page.text).toContain('Accept this answer');
      expect(page.text).toContain(`name="postId" value="${answer.id}"`);

      const other = await signInPage(t.baseUrl, cast.member2.email, cast.member2.password);
      const theirPage = await other.get(`/t/${q.id}/which-filter-fits-the-k3`);
      expect(theirPage.text).not.toContain('Accept this answer');
      const refused = await other.post(`/t/${q.id}/accept`, { _csrf: other.csrfFrom(theirPage.text), postId: answer.id });
      expect(refused.status).toBe(403);
      expect(refused.headers.get('content-type')).toContain('text/html');
      expect((await threadOf(q.id)).acceptedPostId).toBeNull();

      expect((await member.post(`/t/${q.id}/accept`, { postId: answer.id })).status).toBe(403); // no CSRF token
      expect((await member.post(`/t/${q.id}/accept`, { _csrf: member.csrfFrom(page.text), postId: 'nope' })).status).toBe(400);
      const ok = await member.post(`/t/${q.id}/accept`, { _csrf: member.csrfFrom(page.text), postId: answer.id });
      expect(ok.status).toBe(303);
      expect(ok.headers.get('location')).toBe(`/t/${q.id}/which-filter-fits-the-k3#post-${answer.id}`);
      expect((await threadOf(q.id)).acceptedPostId).toBe(answer.id);
      const after = await member.get(`/t/${q.id}/which-filter-fits-the-k3`);
      expect(after.text).toContain('Accepted answer');
      expect(after.text).not.toContain('Accept this answer');
    });
  });

  describe('the live bell', () => {
    it('signed-in pages carry the bell script and its live region; guests\' pages do not', async () => {
      const page = await member.get(`/c/${cast.slug}`);
      expect(page.text).toMatch(/<script src="\/assets\/socket\.io\.min\.[0-9a-f]+\.js" defer><\/script>\s*<script src="\/assets\/bell\.[0-9a-f]+\.js" defer>/);
      expect(page.text).toContain('data-bell-status');
      const guest = await new PageClient(t.baseUrl).get(`/c/${cast.slug}`);
      expect(guest.text).not.toMatch(/\/assets\/bell\./);
      expect(guest.text).not.toContain('data-bell-status');
      // A thread page loads socket.io's bundle once.
      const thread = await member.get(`/t/${(await createThread(t.http, cast.member2.accessToken, talk.id, { title: 'Bell check' })).id}/bell-check`);
      expect(thread.text.match(/socket\.io\.min\./g)).toHaveLength(1);
    });
  });

  describe('notification links point at pages', () => {
    it('support chats: /c/:slug/chat/:roomId; the review queue: /c/:slug/mod/review; points and tiers: /c/:slug/points; sanctions: /c/:slug', async () => {
      const roomId = randomUUID();
      await recordEvent(t, 'support.requested', { communityId: cast.communityId, roomId, customerId: cast.member.id }, cast.communityId);
      const support = (await inbox(t, cast.staff)).items.find((n) => n.type === 'support_requested' && n.roomId === roomId);
      expect(support.url).toBe(`/c/${cast.slug}/chat/${roomId}`);

      await recordEvent(t, 'report.created', { communityId: cast.communityId, reportId: randomUUID(), itemId: randomUUID(), targetType: 'post', targetId: randomUUID(), reporterId: cast.member2.id, reason: 'spam' }, cast.communityId);
      const review = (await inbox(t, cast.moderator)).items.find((n) => n.type === 'review_waiting');
      expect(review.url).toBe(`/c/${cast.slug}/mod/review`);

      await recordEvent(t, 'tier.changed', { communityId: cast.communityId, userId: cast.member.id, tier: 'Silver', previousTier: 'Bronze' }, cast.communityId);
      const tier = (await inbox(t, cast.member)).items.find((n) => n.type === 'tier_changed');
      expect(tier.url).toBe(`/c/${cast.slug}/points`);

      await recordEvent(t, 'member.sanctioned', { communityId: cast.communityId, userId: cast.member2.id, sanctionId: randomUUID(), by: cast.moderator.id, kind: 'warning', reason: 'Be kind', until: null }, cast.communityId);
      const sanction = (await inbox(t, cast.member2)).items.find((n) => n.type === 'sanction');
      expect(sanction.url).toBe(`/c/${cast.slug}`);

      // The notifications page links them and opening one goes to its page.
      const staff = await signInPage(t.baseUrl, cast.staff.email, cast.staff.password);
      const list = await staff.get('/me/notifications');
      const open = `/me/notifications/${support.id}/open?to=${encodeURIComponent(`/c/${cast.slug}/chat/${roomId}`)}`;
      expect(list.text).toContain(open.replaceAll('&', '&amp;'));
      const opened = await staff.get(open);
      expect(opened.status).toBe(303);
      expect(opened.headers.get('location')).toBe(`/c/${cast.slug}/chat/${roomId}`);
    });
  });
});

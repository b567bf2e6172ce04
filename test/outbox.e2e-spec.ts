import type { Logger } from 'pino';
import { Db } from '../src/core/database/db.service';
import { DEFAULT_DISPATCHER_OPTIONS, EventDispatcher } from '../src/core/events/event-dispatcher';
import { DomainEvent, EventConsumer } from '../src/core/events/event-types';
import { EventsService } from '../src/core/events/events.service';
import { LOGGER } from '../src/core/logging/logger';
import { describeIfPostgres, startApp, TestApp } from './support/app';
import { createBoard, createThread, NO_LIMITS, reply, setSettings } from './support/content';
import { createCommunity, createMember, eventually, loginAdmin, registerUser, unique } from './support/factories';

type Handler = (event: DomainEvent) => Promise<void> | void;

function consumer(name: string, types: EventConsumer['types'], handle: Handler): EventConsumer {
  return { name, types, handle: async (e) => handle(e) };
}

describe('event outbox', () => {
  let t: TestApp;
  let db: Db;
  let events: EventsService;
  beforeAll(async () => {
    t = await startApp({ options: { dispatcher: { maxAttempts: 3 } } });
    db = t.app.get(Db);
    events = t.app.get(EventsService);
  });
  afterAll(() => t?.close());

  const pings = (n: number, tag: string) => db.transaction(() => events.record('test.ping', { n, tag }));

  it('records member.joined in the join transaction and dispatches it after commit', async () => {
    const seen: DomainEvent[] = [];
    const name = unique('joined');
    events.register(consumer(name, ['member.joined'], (e) => void seen.push(e)));
    try {
      const admin = await loginAdmin(t.http);
      const { id: communityId, slug } = await createCommunity(t.http, admin.accessToken);
      const user = await registerUser(t.http);
      expect((await t.http.post(`/api/v1/communities/${slug}/join`, undefined, { token: user.accessToken })).status).toBe(201);
      const event = await eventually(() => seen.find((e) => e.data && (e.data as { userId: string }).userId === user.id));
      expect(event).toEqual({
        id: expect.stringMatching(/^\d+$/),
        type: 'member.joined',
        communityId,
        data: { communityId, userId: user.id, role: 'member' },
        createdAt: expect.any(Date),
      });
      // Joining again records nothing new.
      await t.http.post(`/api/v1/communities/${slug}/join`, undefined, { token: user.accessToken });
      const [{ count }] = await db.query<{ count: string }>(
        `SELECT count(*) FROM events WHERE type = 'member.joined' AND data->>'userId' = $1 AND community_id = $2`,
        [user.id, communityId],
      );
      expect(Number(count)).toBe(1);
    } finally {
      events.unregister(name);
    }
  });

  it("dispatches a reply's post.created, recorded by the reply's single statement, once; a refused reply records nothing", async () => {
    const seen: DomainEvent[] = [];
    const name = unique('replies');
    events.register(consumer(name, ['post.created'], (e) => void seen.push(e)));
    try {
      const admin = await loginAdmin(t.http);
      const { id: communityId, slug } = await createCommunity(t.http, admin.accessToken);
      await setSettings(t.http, admin.accessToken, slug, NO_LIMITS);
      const board = await createBoard(t.http, admin.accessToken, slug, { slug: 'general' });
      const member = await createMember(t.http, admin.accessToken, slug);
      const thread = await createThread(t.http, member.accessToken, board.id);
      const post = await reply(t.http, member.accessToken, thread.id, 'a reply to deliver');
      const event = await eventually(() => seen.find((e) => (e.data as { postId: string }).postId === post.id));
      expect(event).toEqual({
        id: expect.stringMatching(/^\d+$/),
        type: 'post.created',
        communityId,
        data: { communityId, boardId: board.id, threadId: thread.id, postId: post.id, authorId: member.id, replyToPostId: null, hasImage: false },
        createdAt: expect.any(Date),
      });
      // Locked: the statement inserts no post, so it records no event either.
      expect((await t.http.post(`/api/v1/threads/${thread.id}/lock`, undefined, { token: admin.accessToken })).status).toBe(200);
      expect((await t.http.post(`/api/v1/threads/${thread.id}/posts`, { body: 'too late' }, { token: member.accessToken })).status).toBe(409);
      await t.app.get(EventDispatcher).idle();
      const rows = await db.query<{ post_id: string }>(`SELECT data->>'postId' AS post_id FROM events WHERE type = 'post.created' AND data->>'threadId' = $1`, [thread.id]);
      expect(rows).toEqual([{ post_id: post.id }]);
      expect(seen.filter((e) => (e.data as { threadId: string }).threadId === thread.id)).toHaveLength(1);
    } finally {
      events.unregister(name);
    }
  });

  it('never dispatches an event recorded in a transaction that rolled back', async () => {
    const tag = unique('rb');
    const seen: number[] = [];
    const name = unique('rollback');
    events.register(consumer(name, ['test.ping'], (e) => void ((e.data as { tag: string }).tag === tag && seen.push((e.data as { n: number }).n))));
    try {
      await expect(
        db.transaction(async () => {
          await events.record('test.ping', { n: 1, tag });
          throw new Error('the write failed');
        }),
      ).rejects.toThrow('the write failed');
      await pings(2, tag);
      await eventually(() => seen.includes(2));
      await t.app.get(EventDispatcher).idle();
      expect(seen).toEqual([2]);
      const rows = await db.query(`SELECT 1 FROM events WHERE data->>'tag' = $1`, [tag]);
      expect(rows).toHaveLength(1);
    } finally {
      events.unregister(name);
    }
  });

  it('refuses to record outside a transaction', async () => {
    await expect(events.record('test.ping', { n: 0 })).rejects.toThrow(/inside db.transaction/);
  });

  it('retries a consumer that throws, and its database writes commit exactly once', async () => {
    const table = `consumer_log_${unique('t')}`;
    await db.query(`CREATE TABLE ${table} (event_id bigint PRIMARY KEY)`);
    const tag = unique('retry');
    let calls = 0;
    const name = unique('flaky');
    events.register(
      consumer(name, ['test.ping'], async (e) => {
        if ((e.data as { tag: string }).tag !== tag) return;
        calls++;
        await db.query(`INSERT INTO ${table} (event_id) VALUES ($1)`, [e.id]);
        if (calls === 1) throw new Error('transient failure after writing');
      }),
    );
    try {
      const id = await pings(1, tag);
      await eventually(async () => {
        const [row] = await db.query<{ status: string }>('SELECT status FROM event_deliveries WHERE event_id = $1 AND consumer = $2', [id, name]);
        return row?.status === 'done';
      });
      const [delivery] = await db.query<{ attempts: number; last_error: string | null }>(
        'SELECT attempts, last_error FROM event_deliveries WHERE event_id = $1 AND consumer = $2',
        [id, name],
      );
      expect(delivery).toEqual({ attempts: 2, last_error: null });
      expect(calls).toBe(2);
      // The first attempt's insert rolled back with it: one row, not two (and no duplicate-key failure).
      expect(await db.query(`SELECT event_id FROM ${table}`)).toEqual([{ event_id: id }]);
      // Succeeded once: it is never handed out again.
      await new Promise((r) => setTimeout(r, 200));
      expect(calls).toBe(2);
    } finally {
      events.unregister(name);
    }
  });

  it('a batch that fails rolls back whole (writes and after-commit hooks); its events then go one by one and only the bad one backs off', async () => {
    const table = `consumer_log_${unique('b')}`;
    await db.query(`CREATE TABLE ${table} (event_id bigint PRIMARY KEY, how text NOT NULL)`);
    const tag = unique('batch');
    const name = unique('batcher');
    const hooks: string[] = [];
    let batches = 0;
    const mine = (e: DomainEvent) => (e.data as { tag: string }).tag === tag;
    const bad = (e: DomainEvent) => mine(e) && (e.data as { n: number }).n === 2;
    events.register({
      name,
      types: ['test.ping'],
      handle: async (e) => {
        if (!mine(e)) return;
        await db.query(`INSERT INTO ${table} VALUES ($1, 'one')`, [e.id]);
        db.afterCommit(() => hooks.push(`one ${e.id}`));
        if (bad(e)) throw new Error('bad event');
      },
      handleBatch: async (batch) => {
        if (!batch.some(mine)) return;
        batches++;
        for (const e of batch.filter(mine)) await db.query(`INSERT INTO ${table} VALUES ($1, 'batch')`, [e.id]);
        db.afterCommit(() => hooks.push('batch'));
        if (batch.some(bad)) throw new Error('bad batch');
      },
    });
    try {
      const ids = await db.transaction(async () => [
        await events.record('test.ping', { n: 1, tag }),
        await events.record('test.ping', { n: 2, tag }),
        await events.record('test.ping', { n: 3, tag }),
      ]);
      const status = () =>
        db.query<{ event_id: string; status: string; attempts: number }>(
          'SELECT event_id::text AS event_id, status, attempts FROM event_deliveries WHERE consumer = $1 AND event_id = ANY($2::bigint[]) ORDER BY event_id',
          [name, ids],
        );
      await eventually(async () => (await status()).filter((r) => r.status === 'done').length === 2);
      expect(batches).toBeGreaterThanOrEqual(1);
      const rows = await status();
      expect([rows[0], rows[2]].map((r) => [r.status, r.attempts])).toEqual([['done', 1], ['done', 1]]);
      // The bad one backs off (retried with this app's short delays, parked after 3 attempts): never done.
      expect(rows[1].status).not.toBe('done');
      expect(rows[1].attempts).toBeGreaterThanOrEqual(1);
      // Nothing of the failed batch stayed: the good events' rows are the one-by-one ones, and only their hooks ran.
      expect(await db.query(`SELECT event_id::text AS id, how FROM ${table} ORDER BY event_id`)).toEqual([
        { id: ids[0], how: 'one' },
        { id: ids[2], how: 'one' },
      ]);
      expect(hooks.sort()).toEqual([`one ${ids[0]}`, `one ${ids[2]}`].sort());
    } finally {
      events.unregister(name);
    }
  });

  it('a failing consumer neither blocks other consumers nor later events, and is parked after maxAttempts', async () => {
    const tag = unique('iso');
    const good: number[] = [];
    const badName = unique('bad');
    const goodName = unique('good');
    events.register(consumer(badName, ['test.ping'], () => Promise.reject(new Error('always broken'))));
    events.register(consumer(goodName, ['test.ping'], (e) => void ((e.data as { tag: string }).tag === tag && good.push((e.data as { n: number }).n))));
    try {
      const first = await pings(1, tag);
      await pings(2, tag);
      await eventually(() => good.length === 2);
      expect(good.sort()).toEqual([1, 2]);
      const row = await eventually(async () => {
        const [r] = await db.query<{ status: string; attempts: number; last_error: string }>(
          'SELECT status, attempts, last_error FROM event_deliveries WHERE event_id = $1 AND consumer = $2',
          [first, badName],
        );
        return r?.status === 'failed' ? r : null;
      });
      expect(row).toEqual({ status: 'failed', attempts: 3, last_error: 'always broken' });
    } finally {
      events.unregister(badName);
      events.unregister(goodName);
    }
  });

  it('two dispatchers working the same outbox never deliver one event to one consumer twice', async () => {
    const tag = unique('pair');
    const delivered: string[] = [];
    const name = unique('counted');
    events.register(
      consumer(name, ['test.ping'], async (e) => {
        if ((e.data as { tag: string }).tag !== tag) return;
        await new Promise((r) => setTimeout(r, Math.random() * 3));
        delivered.push(e.id);
      }),
    );
    const second = new EventDispatcher(db, events, { ...DEFAULT_DISPATCHER_OPTIONS, pollMs: 20, batchSize: 5 }, t.app.get<Logger>(LOGGER));
    second.start();
    try {
      const ids: string[] = [];
      await Promise.all(
        Array.from({ length: 10 }, async (_, batch) => {
          for (let i = 0; i < 10; i++) ids.push(await pings(batch * 10 + i, tag));
        }),
      );
      await eventually(() => delivered.length >= ids.length);
      await second.idle();
      await t.app.get(EventDispatcher).idle();
      expect(delivered.length).toBe(ids.length);
      expect(new Set(delivered)).toEqual(new Set(ids));
    } finally {
      await second.stop();
      events.unregister(name);
    }
  });
});

describeIfPostgres('event outbox across two server instances (PostgreSQL)', () => {
  it('delivers each event once although both instances dispatch concurrently', async () => {
    // Batches of 5 (the default is 100, one batch could take all): both instances race for every batch.
    const options = { dispatcher: { batchSize: 5 } };
    const a = await startApp({ options });
    const b = await startApp({ databaseUrl: a.databaseUrl!, options });
    try {
      const tag = unique('multi');
      const delivered: Array<{ id: string; by: string }> = [];
      const handler = (by: string) => async (e: DomainEvent) => {
        if ((e.data as { tag: string }).tag !== tag) return;
        await new Promise((r) => setTimeout(r, Math.random() * 5));
        delivered.push({ id: e.id, by });
      };
      a.app.get(EventsService).register(consumer('shared-consumer', ['test.ping'], handler('a')));
      b.app.get(EventsService).register(consumer('shared-consumer', ['test.ping'], handler('b')));
      const ids: string[] = [];
      const record = async (t: TestApp, n: number) => {
        const db = t.app.get(Db);
        ids.push(await db.transaction(() => t.app.get(EventsService).record('test.ping', { n, tag })));
        // Both wake on every commit, so both race for every event.
        a.app.get(EventDispatcher).wake();
        b.app.get(EventDispatcher).wake();
      };
      await Promise.all(Array.from({ length: 100 }, (_, n) => record(n % 2 ? a : b, n)));
      await eventually(() => delivered.length >= ids.length, 20_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(delivered.length).toBe(100);
      expect(new Set(delivered.map((d) => d.id)).size).toBe(100);
      // Both instances took part (with 100 events and both woken each time, one alone would be a surprise).
      expect(new Set(delivered.map((d) => d.by))).toEqual(new Set(['a', 'b']));
    } finally {
      await b.close();
      await a.close();
    }
  });
});

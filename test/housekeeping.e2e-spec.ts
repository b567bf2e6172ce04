import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { Db } from '../src/core/database/db.service';
import { OutboxPruner } from '../src/core/events/outbox-pruner';
import { UploadSweeper } from '../src/threads/upload-sweeper';
import { startApp, TestApp, usingPostgres } from './support/app';
import { Cast, createBoard, createCast, createThread } from './support/content';
import { eventually } from './support/factories';

/** Housekeeping (issue 20): unattached uploads swept after 24 h, succeeded outbox deliveries pruned after 7 days. */
describe('housekeeping', () => {
  let t: TestApp;
  let db: Db;
  let cast: Cast;
  let board: { id: string };
  const HOUR = 3_600_000;
  const DAY = 24 * HOUR;

  beforeAll(async () => {
    // No timers: each test runs the sweeps itself, so counts are exact.
    t = await startApp({ env: { UPLOAD_SWEEP_INTERVAL_SECONDS: '0', OUTBOX_PRUNE_INTERVAL_SECONDS: '0' } });
    db = t.app.get(Db);
    cast = await createCast(t.http);
    board = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'general' });
  });
  afterAll(() => t?.close());

  const upload = async (): Promise<{ id: string; url: string }> => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: `#${randomBytes(3).toString('hex')}` } }).png().toBuffer();
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'a.png');
    const res = await fetch(`${t.baseUrl}/api/v1/communities/${cast.slug}/uploads`, { method: 'POST', body: form, headers: { authorization: `Bearer ${cast.member.accessToken}` } });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; url: string };
  };
  const fileOf = (url: string) => url.split('/').pop()!;
  const onDisk = (fileName: string) => existsSync(join(t.config.uploadDir, fileName));
  const age = (id: string, hours: number) => db.query(`UPDATE attachments SET created_at = now() - make_interval(hours => $2) WHERE id = $1`, [id, hours]);
  const exists = async (id: string) => (await db.query('SELECT 1 FROM attachments WHERE id = $1', [id])).length === 1;

  /** Unattached uploads `hours` old, made straight in the table with a file on disk (no upload rate limit). */
  const oldUploads = async (n: number, hours: number): Promise<string[]> => {
    await mkdir(t.config.uploadDir, { recursive: true });
    const names: string[] = [];
    for (let i = 0; i < n; i++) {
      const name = `${randomBytes(16).toString('hex')}.png`;
      await writeFile(join(t.config.uploadDir, name), 'x');
      await db.query(
        `INSERT INTO attachments (community_id, uploader_id, file_name, content_type, bytes, width, height, sha256, created_at)
         VALUES ($1, $2, $3, 'image/png', 1, 1, 1, $4, now() - make_interval(hours => $5))`,
        [cast.communityId, cast.member.id, name, '0'.repeat(64), hours],
      );
      names.push(name);
    }
    return names;
  };

  describe('the uploads sweeper', () => {
    it('removes uploads attached to no post after 24 h, rows and files; keeps attached and younger ones', async () => {
      const old = await upload();
      const young = await upload();
      const attached = await upload();
      const attachedOld = await upload();
      await createThread(t.http, cast.member.accessToken, board.id, { title: 'With a photo', attachmentIds: [attached.id, attachedOld.id] });
      await age(old.id, 25);
      await age(young.id, 23);
      await age(attached.id, 48);
      await age(attachedOld.id, 24 * 30);
      expect(fileOf(old.url)).toMatch(/^[0-9a-f]{32}\.png$/);
      expect(onDisk(fileOf(old.url))).toBe(true);

      expect(await t.app.get(UploadSweeper).sweep()).toBe(1);
      expect([await exists(old.id), await exists(young.id), await exists(attached.id), await exists(attachedOld.id)]).toEqual([false, true, true, true]);
      expect([onDisk(fileOf(old.url)), onDisk(fileOf(young.url)), onDisk(fileOf(attached.url)), onDisk(fileOf(attachedOld.url))]).toEqual([false, true, true, true]);
      expect((await t.http.get(`/api/v1/uploads/${fileOf(old.url)}`, { token: cast.member.accessToken })).status).toBe(404);
      expect((await t.http.get(`/api/v1/uploads/${fileOf(young.url)}`, { token: cast.member.accessToken })).status).toBe(200);
      // The sweep moved nothing else; a second one finds nothing.
      expect(await t.app.get(UploadSweeper).sweep()).toBe(0);
      // An upload swept cannot be attached any more.
      const late = await t.http.post(`/api/v1/boards/${board.id}/threads`, { title: 'Too late', body: 'x', attachmentIds: [old.id] }, { token: cast.member.accessToken });
      expect(late.status).toBe(400);
    });

    it('goes in bounded batches, and sweepers running side by side remove each row once', async () => {
      const names = await oldUploads(9, 30);
      const sweeper = t.app.get(UploadSweeper);
      const cutoff = new Date(Date.now() - 24 * HOUR);
      expect(await sweeper.sweepBatch(cutoff, 2)).toHaveLength(2);
      const loop = async () => {
        const removed: string[] = [];
        for (;;) {
          const batch = await sweeper.sweepBatch(cutoff, 2);
          if (!batch.length) return removed;
          removed.push(...batch);
        }
      };
      const [a, b, c] = await Promise.all([loop(), loop(), loop()]);
      const all = [...a, ...b, ...c];
      expect(all).toHaveLength(7);
      expect(new Set(all).size).toBe(7);
      expect(names.filter((n) => onDisk(n))).toEqual([]);
      const [left] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM attachments WHERE file_name = ANY($1::text[])', [names]);
      expect(left.n).toBe(0);
    });

    (usingPostgres ? it : it.skip)('two instances on one database sweep at once without error, each row once', async () => {
      const other = await startApp({ databaseUrl: t.databaseUrl!, env: { UPLOAD_SWEEP_INTERVAL_SECONDS: '0', OUTBOX_PRUNE_INTERVAL_SECONDS: '0' } });
      try {
        const names = await oldUploads(40, 25);
        const cutoff = new Date(Date.now() - 24 * HOUR);
        const drain = async (s: UploadSweeper) => {
          const removed: string[] = [];
          for (let batch = await s.sweepBatch(cutoff, 3); batch.length; batch = await s.sweepBatch(cutoff, 3)) removed.push(...batch);
          return removed;
        };
        const [mine, theirs] = await Promise.all([drain(t.app.get(UploadSweeper)), drain(other.app.get(UploadSweeper))]);
        expect([...mine, ...theirs].sort()).toEqual([...names].sort());
        expect(names.filter((n) => onDisk(n))).toEqual([]);
        // And whole runs at once: nothing left, nothing fails.
        await oldUploads(5, 25);
        const runs = await Promise.all([t.app.get(UploadSweeper).sweep(), other.app.get(UploadSweeper).sweep()]);
        expect(runs[0] + runs[1]).toBe(5);
      } finally {
        await other.close();
      }
    });

    it('runs on its timer (UPLOAD_SWEEP_INTERVAL_SECONDS) and honours UNATTACHED_UPLOAD_HOURS', async () => {
      const timed = await startApp({ env: { UPLOAD_SWEEP_INTERVAL_SECONDS: '1', UNATTACHED_UPLOAD_HOURS: '2', OUTBOX_PRUNE_INTERVAL_SECONDS: '0' } });
      try {
        const tdb = timed.app.get(Db);
        const c = await createCast(timed.http);
        await mkdir(timed.config.uploadDir, { recursive: true });
        const insert = async (hours: number) => {
          const name = `${randomBytes(16).toString('hex')}.png`;
          await writeFile(join(timed.config.uploadDir, name), 'x');
          await tdb.query(
            `INSERT INTO attachments (community_id, uploader_id, file_name, content_type, bytes, width, height, sha256, created_at)
             VALUES ($1, $2, $3, 'image/png', 1, 1, 1, $4, now() - make_interval(hours => $5))`,
            [c.communityId, c.member.id, name, '0'.repeat(64), hours],
          );
          return name;
        };
        const stale = await insert(3);
        const fresh = await insert(1);
        const left = async () => (await tdb.query<{ file_name: string }>('SELECT file_name FROM attachments ORDER BY file_name')).map((r) => r.file_name);
        await eventually(async () => !(await left()).includes(stale), 5000, 100);
        expect(await left()).toEqual([fresh]);
        expect([existsSync(join(timed.config.uploadDir, stale)), existsSync(join(timed.config.uploadDir, fresh))]).toEqual([false, true]);
      } finally {
        await timed.close();
      }
    });
  });

  describe('the outbox pruner', () => {
    /** A test.ping event with one delivery per (status, age in days) for a consumer no one registered, so the dispatcher leaves them be. */
    const delivery = async (status: 'done' | 'pending' | 'failed', days: number): Promise<string> => {
      const [e] = await db.query<{ id: string }>(`INSERT INTO events (type, data) VALUES ('test.ping', '{"n":1}') RETURNING id`);
      await db.query(
        `INSERT INTO event_deliveries (event_id, consumer, status, attempts, done_at)
         VALUES ($1, 'housekeeping-test', $2::text, 1, CASE WHEN $2::text = 'done' THEN now() - make_interval(days => $3) END)`,
        [e.id, status, days],
      );
      if (status !== 'done') await db.query(`UPDATE event_deliveries SET next_attempt_at = now() - make_interval(days => $2) WHERE event_id = $1`, [e.id, days]);
      return String(e.id);
    };
    const statusOf = async (ids: string[]) =>
      (
        await db.query<{ event_id: string; status: string }>(
          `SELECT e.id::text AS event_id, d.status FROM events e LEFT JOIN event_deliveries d ON d.event_id = e.id AND d.consumer = 'housekeeping-test'
            WHERE e.id = ANY($1::bigint[]) ORDER BY e.id`,
          [ids],
        )
      ).map((r) => r.status ?? 'pruned');

    it('prunes only succeeded deliveries older than the retention, in batches; events stay', async () => {
      const pruner = t.app.get(OutboxPruner);
      const ids = [
        await delivery('done', 8),
        await delivery('done', 30),
        await delivery('done', 6),
        await delivery('pending', 30),
        await delivery('failed', 30),
        await delivery('done', 10),
      ];
      // The app's own recent deliveries are younger than 7 days: exactly the three old succeeded ones go.
      expect(await pruner.pruneBatch(new Date(Date.now() - 7 * DAY), 1)).toBe(1);
      expect(await pruner.prune()).toBe(2);
      expect(await statusOf(ids)).toEqual(['pruned', 'pruned', 'done', 'pending', 'failed', 'pruned']);
      const [events] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE id = ANY($1::bigint[])', [ids]);
      expect(events.n).toBe(6);
      expect(await pruner.prune()).toBe(0);
      // Two days later the 6-day-old one is past the retention too.
      expect(await pruner.prune(new Date(Date.now() + 2 * DAY))).toBe(1);
      expect(await statusOf(ids)).toEqual(['pruned', 'pruned', 'pruned', 'pending', 'failed', 'pruned']);
    });

    it('pruners running side by side delete each row once', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push(await delivery('done', 9));
      const pruner = t.app.get(OutboxPruner);
      const cutoff = new Date(Date.now() - 7 * DAY);
      const loop = async () => {
        let n = 0;
        for (let k = await pruner.pruneBatch(cutoff, 2); k; k = await pruner.pruneBatch(cutoff, 2)) n += k;
        return n;
      };
      const counts = await Promise.all([loop(), loop(), loop()]);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(12);
      expect(new Set(await statusOf(ids))).toEqual(new Set(['pruned']));
    });
  });
});

import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppOptions, createApp, HearthApp } from '../../src/app';
import { AppConfig, loadConfig } from '../../src/core/config/config';
import { createScratchDatabase, migratedTemplate } from './database';
import { openEmbeddedFromTemplate } from './embedded-template';
import { Http } from './http';

export const ADMIN_EMAIL = 'platform-admin@hearth.test';
export const ADMIN_PASSWORD = 'platform admin password 1';

export const usingPostgres = Boolean(process.env.DATABASE_URL);
export const usingRedis = Boolean(process.env.REDIS_URL);
/** Specs that only mean something on real PostgreSQL (real concurrency) or with Redis. */
export const describeIfPostgres = usingPostgres ? describe : describe.skip;
export const describeIfRedis = usingRedis ? describe : describe.skip;

export interface TestApp extends HearthApp {
  http: Http;
  baseUrl: string;
  config: AppConfig;
  databaseUrl: string | null;
}

export interface StartOptions {
  env?: Record<string, string>;
  options?: AppOptions;
  /** Reuse a database another TestApp created (two instances, one database). */
  databaseUrl?: string;
}

/**
 * Starts the real server on a random port. Each call gets its own database: an in-memory PGlite,
 * or with DATABASE_URL a freshly created PostgreSQL database that is dropped on close.
 */
export async function startApp(start: StartOptions = {}): Promise<TestApp> {
  let databaseUrl: string | null = start.databaseUrl ?? null;
  let drop: (() => Promise<void>) | null = null;
  if (!databaseUrl && process.env.DATABASE_URL) {
    const scratch = await createScratchDatabase(process.env.DATABASE_URL, 'hearth_test', await migratedTemplate(process.env.DATABASE_URL));
    databaseUrl = scratch.url;
    drop = scratch.drop;
  }
  // Embedded: a fresh in-memory database from the migrated template (closed with the app, below).
  const embedded = !databaseUrl && !start.options?.database ? await openEmbeddedFromTemplate() : null;
  const config = loadConfig({
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATA_DIR: 'memory://',
    UPLOAD_DIR: join(tmpdir(), 'hearth-test-uploads'),
    REGISTRATIONS_PER_IP_PER_HOUR: '100000',
    LOGINS_PER_IP_PER_MINUTE: '100000',
    SEARCHES_PER_IP_PER_MINUTE: '100000',
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    ...start.env,
  });
  const hearth = await createApp(config, {
    rateLimitPrefix: `test-${randomBytes(6).toString('hex')}`,
    ...(embedded ? { database: embedded } : {}),
    ...start.options,
    dispatcher: { pollMs: 50, retryBaseMs: 20, ...start.options?.dispatcher },
  });
  await hearth.app.listen({ port: 0, host: '127.0.0.1' });
  const address = hearth.app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;
  return {
    ...hearth,
    http: new Http(baseUrl),
    baseUrl,
    config,
    databaseUrl,
    close: async () => {
      await hearth.close();
      if (embedded) await embedded.close();
      if (drop) await drop();
    },
  };
}

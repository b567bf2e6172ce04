import { createServer } from 'node:net';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/core/config/config';

const MAIN = join(__dirname, '..', 'dist', 'src', 'main.js');

describe('configuration', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      host: '0.0.0.0',
      databaseUrl: null,
      dataDir: './data',
      redisUrl: null,
      publicUrl: 'http://localhost:3000',
      smtpUrl: null,
      notificationEmailDelaySeconds: 60,
      notificationSenderIntervalMs: 5000,
      notificationEmailLeaseSeconds: 300,
      notificationDigestIntervalSeconds: 600,
      uploadDir: './data/uploads',
      logLevel: 'info',
      registrationsPerIpPerHour: 20,
      loginsPerIpPerMinute: 30,
      adminEmail: null,
      adminPassword: null,
      webhookAllowPrivateNetworks: false,
      corsOrigins: null,
      trustProxy: false,
      guestCacheSeconds: 10,
      searchesPerIpPerMinute: 60,
      searchMemoryMb: 256,
      metricsPort: null,
      metricsToken: null,
      sessionMaxDays: 90,
      heapGrowingPercent: 50,
      outboxRetentionDays: 7,
      outboxPruneIntervalSeconds: 3600,
      unattachedUploadHours: 24,
      uploadSweepIntervalSeconds: 3600,
      passwordResetTtlMinutes: 30,
      passwordResetsPerIpPerHour: 20,
      passwordResetsPerEmailPerHour: 3,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://u@db:5432/hearth',
      REDIS_URL: 'redis://cache:6379',
      PUBLIC_URL: 'https://community.example.com/',
      SMTP_URL: 'smtp://mail:25',
      UPLOAD_DIR: '/srv/uploads',
      LOG_LEVEL: 'warn',
      REGISTRATIONS_PER_IP_PER_HOUR: '5',
      LOGINS_PER_IP_PER_MINUTE: '7',
      ADMIN_EMAIL: 'boss@example.com',
      ADMIN_PASSWORD: 'a long admin password',
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      CORS_ORIGINS: 'https://a.example.com,https://b.example.com',
      GUEST_CACHE_SECONDS: '0',
      SEARCHES_PER_IP_PER_MINUTE: '9',
      SEARCH_MEMORY_MB: '0',
      METRICS_PORT: '9100',
      METRICS_TOKEN: 'a-metrics-token-of-32-characters',
      SESSION_MAX_DAYS: '30',
      HEAP_GROWING_PERCENT: '0',
    });
    expect(config).toEqual(
      expect.objectContaining({
        port: 8080,
        databaseUrl: 'postgres://u@db:5432/hearth',
        redisUrl: 'redis://cache:6379',
        publicUrl: 'https://community.example.com',
        smtpUrl: 'smtp://mail:25',
        uploadDir: '/srv/uploads',
        logLevel: 'warn',
        registrationsPerIpPerHour: 5,
        loginsPerIpPerMinute: 7,
        adminEmail: 'boss@example.com',
        webhookAllowPrivateNetworks: true,
        corsOrigins: ['https://a.example.com', 'https://b.example.com'],
        guestCacheSeconds: 0,
        searchesPerIpPerMinute: 9,
        searchMemoryMb: 0,
        metricsPort: 9100,
        metricsToken: 'a-metrics-token-of-32-characters',
        sessionMaxDays: 30,
        heapGrowingPercent: 0,
      }),
    );
  });

  it.each([
    [{ PORT: 'abc' }, /PORT .*integer.*\(got "abc"\)/],
    [{ PORT: '70000' }, /PORT .*65535/],
    [{ SESSION_MAX_DAYS: '0' }, /SESSION_MAX_DAYS .*from 1 to 3650/],
    [{ HEAP_GROWING_PERCENT: '500' }, /HEAP_GROWING_PERCENT .*from 0 to 400/],
    [{ SEARCH_MEMORY_MB: '-1' }, /SEARCH_MEMORY_MB .*from 0 to 1000000/],
    [{ METRICS_TOKEN: 'short' }, /METRICS_TOKEN must be at least 16 characters \(got "\*\*\*"\)/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a postgres/],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL must be a redis/],
    [{ PUBLIC_URL: 'ftp://x' }, /PUBLIC_URL must be an http/],
    [{ SMTP_URL: 'mail' }, /SMTP_URL must be an smtp/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ REGISTRATIONS_PER_IP_PER_HOUR: '0' }, /REGISTRATIONS_PER_IP_PER_HOUR/],
    [{ LOGINS_PER_IP_PER_MINUTE: '-3' }, /LOGINS_PER_IP_PER_MINUTE/],
    [{ ADMIN_EMAIL: 'nope', ADMIN_PASSWORD: 'a long admin password' }, /ADMIN_EMAIL must be an email/],
    [{ ADMIN_EMAIL: 'a@b.co' }, /ADMIN_EMAIL and ADMIN_PASSWORD must be set together/],
    [{ ADMIN_EMAIL: 'a@b.co', ADMIN_PASSWORD: 'short' }, /ADMIN_PASSWORD .*\(got "\*\*\*"\)/],
    [{ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'maybe' }, /WEBHOOK_ALLOW_PRIVATE_NETWORKS must be true or false/],
    [{ CORS_ORIGINS: 'example.com' }, /CORS_ORIGINS/],
    [{ GUEST_CACHE_SECONDS: '-1' }, /GUEST_CACHE_SECONDS/],
    [{ GUEST_CACHE_SECONDS: '3601' }, /GUEST_CACHE_SECONDS/],
  ])('refuses %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('never echoes the admin password', () => {
    expect(() => loadConfig({ ADMIN_EMAIL: 'a@b.co', ADMIN_PASSWORD: 'tiny' })).not.toThrow(/tiny/);
  });
});

describe('the server process', () => {
  it('stops at once with one clear line when a variable is bad', () => {
    const run = spawnSync(process.execPath, [MAIN], { env: { PATH: process.env.PATH, PORT: 'eighty', LOG_LEVEL: 'silent' }, encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual(['Invalid configuration: PORT must be an integer from 0 to 65535 (got "eighty")']);
  });

  it('starts on a fresh embedded database, keeps its data across a restart, and ensures the admin', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hearth-start-'));
    // A port the system just handed out (a random one could be taken, and the server would exit).
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const env = {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ADMIN_EMAIL: 'owner@example.com',
      ADMIN_PASSWORD: 'the owner password',
    };
    const boot = async () => {
      const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
      const deadline = Date.now() + 45_000;
      for (;;) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
          if (res.status === 200) break;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not become ready (exit ${child.exitCode}): ${stderr}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      return child;
    };
    const stop = (child: ReturnType<typeof spawn>) =>
      new Promise<number | null>((resolve) => {
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      });
    try {
      let child = await boot();
      const login = async () =>
        fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'owner@example.com', password: 'the owner password' }),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
      const first = await login();
      expect(first.status).toBe(200);
      expect(first.body.user.isPlatformAdmin).toBe(true);
      const created = await fetch(`http://127.0.0.1:${port}/api/v1/communities`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${first.body.accessToken}` },
        body: JSON.stringify({ slug: 'persisted', name: 'Persisted' }),
      });
      expect(created.status).toBe(201);
      expect(await stop(child)).toBe(0);

      child = await boot();
      try {
        const again = await fetch(`http://127.0.0.1:${port}/api/v1/communities/persisted`);
        expect(again.status).toBe(200);
        expect((await login()).status).toBe(200);
      } finally {
        await stop(child);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

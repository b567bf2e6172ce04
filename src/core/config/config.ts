import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : /^-?\d+$/.test(String(value)) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }) => {
  if (value === undefined || value === '') return undefined;
  const v = String(value).toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return value;
};
/** One message for type and bounds, so a bad number gets one clear line. */
function IntRange(min: number, max: number): PropertyDecorator {
  const message = `must be an integer from ${min} to ${max}`;
  return (target, key) => {
    IsInt({ message })(target, key as string);
    Min(min, { message })(target, key as string);
    Max(max, { message })(target, key as string);
  };
}

const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/**
 * Every environment variable the server reads, declared once with its default and its validation.
 * A bad value stops the server with one line naming the variable (see loadConfig).
 */
class EnvironmentVariables {
  @Transform(toInt) @IsOptional() @IntRange(0, 65535)
  PORT?: number;

  @Transform(emptyToUndefined) @IsOptional() @IsString()
  HOST?: string;

  @Transform(emptyToUndefined) @IsOptional() @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(1)
  DATA_DIR?: string;

  @Transform(emptyToUndefined) @IsOptional() @Matches(/^rediss?:\/\/\S+$/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  @Transform(emptyToUndefined) @IsOptional() @Matches(/^https?:\/\/[^\s/]+(\/\S*)?$/, { message: 'must be an http:// or https:// URL' })
  PUBLIC_URL?: string;

  @Transform(emptyToUndefined) @IsOptional() @Matches(/^smtps?:\/\/\S+$/, { message: 'must be an smtp:// or smtps:// URL' })
  SMTP_URL?: string;

  /** Seconds an immediate notification email waits (dropped if read or connected meanwhile); 0 sends at once. */
  @Transform(toInt) @IsOptional() @IntRange(0, 86_400)
  NOTIFICATION_EMAIL_DELAY_SECONDS?: number;

  /** How often a sender looks for due notification emails, in milliseconds. */
  @Transform(toInt) @IsOptional() @IntRange(100, 3_600_000)
  NOTIFICATION_SENDER_INTERVAL_MS?: number;

  /** How long a sender holds claimed emails before another instance may take them over (a crashed sender). */
  @Transform(toInt) @IsOptional() @IntRange(10, 86_400)
  NOTIFICATION_EMAIL_LEASE_SECONDS?: number;

  /** How often digests (and the 90-day prune) are checked, in seconds. */
  @Transform(toInt) @IsOptional() @IntRange(1, 86_400)
  NOTIFICATION_DIGEST_INTERVAL_SECONDS?: number;

  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(1)
  UPLOAD_DIR?: string;

  @Transform(emptyToUndefined) @IsOptional() @IsIn(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL?: LogLevel;

  @Transform(toInt) @IsOptional() @IntRange(1, 1_000_000)
  REGISTRATIONS_PER_IP_PER_HOUR?: number;

  @Transform(toInt) @IsOptional() @IntRange(1, 1_000_000)
  LOGINS_PER_IP_PER_MINUTE?: number;

  @Transform(toInt) @IsOptional() @IntRange(1, 1_000_000)
  SEARCHES_PER_IP_PER_MINUTE?: number;

  @Transform(toInt) @IsOptional() @IntRange(0, 1_000_000)
  SEARCH_MEMORY_MB?: number;

  @Transform(emptyToUndefined) @IsOptional() @IsEmail({}, { message: 'must be an email address' })
  ADMIN_EMAIL?: string;

  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(10) @MaxLength(256)
  ADMIN_PASSWORD?: string;

  @Transform(toBool) @IsOptional() @IsBoolean({ message: 'must be true or false' })
  WEBHOOK_ALLOW_PRIVATE_NETWORKS?: boolean;

  @Transform(emptyToUndefined) @IsOptional() @Matches(/^(\*|https?:\/\/[^\s,]+(,https?:\/\/[^\s,]+)*)$/, {
    message: 'must be * or a comma-separated list of http(s) origins',
  })
  CORS_ORIGINS?: string;

  @Transform(toBool) @IsOptional() @IsBoolean({ message: 'must be true or false' })
  TRUST_PROXY?: boolean;

  @Transform(toInt) @IsOptional() @IntRange(0, 3600)
  GUEST_CACHE_SECONDS?: number;

  @Transform(toInt) @IsOptional() @IntRange(0, 65535)
  METRICS_PORT?: number;

  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(16, { message: 'must be at least 16 characters' })
  METRICS_TOKEN?: string;

  @Transform(toInt) @IsOptional() @IntRange(1, 3650)
  SESSION_MAX_DAYS?: number;

  @Transform(toInt) @IsOptional() @IntRange(0, 400)
  HEAP_GROWING_PERCENT?: number;

  /** Housekeeping (issue 20): days a succeeded outbox delivery is kept before it is pruned (the events themselves stay). */
  @Transform(toInt) @IsOptional() @IntRange(1, 3650)
  OUTBOX_RETENTION_DAYS?: number;

  /** How often the outbox pruner runs, in seconds (0: never on a timer). */
  @Transform(toInt) @IsOptional() @IntRange(0, 604_800)
  OUTBOX_PRUNE_INTERVAL_SECONDS?: number;

  /** Hours an upload may stay attached to no post before it is removed. */
  @Transform(toInt) @IsOptional() @IntRange(1, 8760)
  UNATTACHED_UPLOAD_HOURS?: number;

  /** How often unattached uploads are swept, in seconds (0: never on a timer). */
  @Transform(toInt) @IsOptional() @IntRange(0, 604_800)
  UPLOAD_SWEEP_INTERVAL_SECONDS?: number;

  /** Accounts (issue 20): how long an emailed password-reset link works, and how many may be asked for. */
  @Transform(toInt) @IsOptional() @IntRange(5, 1440)
  PASSWORD_RESET_TTL_MINUTES?: number;

  @Transform(toInt) @IsOptional() @IntRange(1, 1_000_000)
  PASSWORD_RESETS_PER_IP_PER_HOUR?: number;

  /** Also caps verification emails re-sent per account per hour. */
  @Transform(toInt) @IsOptional() @IntRange(1, 1_000)
  PASSWORD_RESETS_PER_EMAIL_PER_HOUR?: number;
}

export interface AppConfig {
  port: number;
  host: string;
  databaseUrl: string | null;
  dataDir: string;
  redisUrl: string | null;
  publicUrl: string;
  smtpUrl: string | null;
  /** NOTIFICATION_EMAIL_DELAY_SECONDS (default 60). */
  notificationEmailDelaySeconds: number;
  /** NOTIFICATION_SENDER_INTERVAL_MS (default 5000). */
  notificationSenderIntervalMs: number;
  /** NOTIFICATION_EMAIL_LEASE_SECONDS (default 300). */
  notificationEmailLeaseSeconds: number;
  /** NOTIFICATION_DIGEST_INTERVAL_SECONDS (default 600). */
  notificationDigestIntervalSeconds: number;
  uploadDir: string;
  logLevel: LogLevel;
  registrationsPerIpPerHour: number;
  loginsPerIpPerMinute: number;
  /** Searches allowed per client IP per minute. */
  searchesPerIpPerMinute: number;
  /** Memory each instance may use to rank thread documents in memory (src/search/memory); 0 turns it off. */
  searchMemoryMb: number;
  adminEmail: string | null;
  adminPassword: string | null;
  webhookAllowPrivateNetworks: boolean;
  corsOrigins: string[] | '*' | null;
  trustProxy: boolean;
  /** How long a guest's page may be served from the guest cache at most (0: no cache); writes clear it at once. */
  guestCacheSeconds: number;
  /** Prometheus metrics on their own listener (METRICS_PORT); null: no metrics listener. */
  metricsPort: number | null;
  /** When set, `/metrics` is also served on the public listener to `Authorization: Bearer <token>` only. */
  metricsToken: string | null;
  /** Absolute session lifetime in days, whatever the refreshes (SESSION_MAX_DAYS, default 90). */
  sessionMaxDays: number;
  /** V8's old-space growing factor, 1 + this/100 (0: V8's own heuristics); applied by main.ts. */
  heapGrowingPercent: number;
  /** OUTBOX_RETENTION_DAYS (default 7): succeeded deliveries older than this are pruned. */
  outboxRetentionDays: number;
  /** OUTBOX_PRUNE_INTERVAL_SECONDS (default 3600; 0: no timer). */
  outboxPruneIntervalSeconds: number;
  /** UNATTACHED_UPLOAD_HOURS (default 24): uploads attached to no post for this long are removed. */
  unattachedUploadHours: number;
  /** UPLOAD_SWEEP_INTERVAL_SECONDS (default 3600; 0: no timer). */
  uploadSweepIntervalSeconds: number;
  /** PASSWORD_RESET_TTL_MINUTES (default 30). */
  passwordResetTtlMinutes: number;
  /** PASSWORD_RESETS_PER_IP_PER_HOUR (default 20). */
  passwordResetsPerIpPerHour: number;
  /** PASSWORD_RESETS_PER_EMAIL_PER_HOUR (default 3; also verification emails re-sent per account). */
  passwordResetsPerEmailPerHour: number;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export class ConfigError extends Error {}

/** Reads and validates the environment. Throws a ConfigError whose message is one line per bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const raw: Record<string, string | undefined> = {};
  for (const key of KEYS) raw[key] = env[key];
  const vars = plainToInstance(EnvironmentVariables, raw);
  const errors = validateSync(vars, { forbidUnknownValues: false });
  const problems = errors.map((e) => {
    const message = Object.values(e.constraints ?? {})[0]?.replace(new RegExp(`^${e.property} `), '') ?? 'is invalid';
    return `${e.property} ${message} (got "${/PASSWORD|TOKEN/.test(e.property) ? '***' : raw[e.property]}")`;
  });
  if (Boolean(vars.ADMIN_EMAIL) !== Boolean(vars.ADMIN_PASSWORD)) {
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  if (problems.length) throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);

  const port = vars.PORT ?? 3000;
  const dataDir = vars.DATA_DIR ?? './data';
  return {
    port,
    host: vars.HOST ?? '0.0.0.0',
    databaseUrl: vars.DATABASE_URL ?? null,
    dataDir,
    redisUrl: vars.REDIS_URL ?? null,
    publicUrl: (vars.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, ''),
    smtpUrl: vars.SMTP_URL ?? null,
    notificationEmailDelaySeconds: vars.NOTIFICATION_EMAIL_DELAY_SECONDS ?? 60,
    notificationSenderIntervalMs: vars.NOTIFICATION_SENDER_INTERVAL_MS ?? 5000,
    notificationEmailLeaseSeconds: vars.NOTIFICATION_EMAIL_LEASE_SECONDS ?? 300,
    notificationDigestIntervalSeconds: vars.NOTIFICATION_DIGEST_INTERVAL_SECONDS ?? 600,
    uploadDir: vars.UPLOAD_DIR ?? `${dataDir}/uploads`,
    logLevel: vars.LOG_LEVEL ?? 'info',
    registrationsPerIpPerHour: vars.REGISTRATIONS_PER_IP_PER_HOUR ?? 20,
    loginsPerIpPerMinute: vars.LOGINS_PER_IP_PER_MINUTE ?? 30,
    searchesPerIpPerMinute: vars.SEARCHES_PER_IP_PER_MINUTE ?? 60,
    searchMemoryMb: vars.SEARCH_MEMORY_MB ?? 256,
    adminEmail: vars.ADMIN_EMAIL ?? null,
    adminPassword: vars.ADMIN_PASSWORD ?? null,
    webhookAllowPrivateNetworks: vars.WEBHOOK_ALLOW_PRIVATE_NETWORKS ?? false,
    corsOrigins: !vars.CORS_ORIGINS ? null : vars.CORS_ORIGINS === '*' ? '*' : vars.CORS_ORIGINS.split(','),
    trustProxy: vars.TRUST_PROXY ?? false,
    guestCacheSeconds: vars.GUEST_CACHE_SECONDS ?? 10,
    metricsPort: vars.METRICS_PORT ?? null,
    metricsToken: vars.METRICS_TOKEN ?? null,
    sessionMaxDays: vars.SESSION_MAX_DAYS ?? 90,
    heapGrowingPercent: vars.HEAP_GROWING_PERCENT ?? 50,
    outboxRetentionDays: vars.OUTBOX_RETENTION_DAYS ?? 7,
    outboxPruneIntervalSeconds: vars.OUTBOX_PRUNE_INTERVAL_SECONDS ?? 3600,
    unattachedUploadHours: vars.UNATTACHED_UPLOAD_HOURS ?? 24,
    uploadSweepIntervalSeconds: vars.UPLOAD_SWEEP_INTERVAL_SECONDS ?? 3600,
    passwordResetTtlMinutes: vars.PASSWORD_RESET_TTL_MINUTES ?? 30,
    passwordResetsPerIpPerHour: vars.PASSWORD_RESETS_PER_IP_PER_HOUR ?? 20,
    passwordResetsPerEmailPerHour: vars.PASSWORD_RESETS_PER_EMAIL_PER_HOUR ?? 3,
  };
}

/** The variable names, for the README table and for loadConfig (class fields without initialisers are not enumerable). */
const KEYS = [
  'PORT',
  'HOST',
  'DATABASE_URL',
  'DATA_DIR',
  'REDIS_URL',
  'PUBLIC_URL',
  'SMTP_URL',
  'NOTIFICATION_EMAIL_DELAY_SECONDS',
  'NOTIFICATION_SENDER_INTERVAL_MS',
  'NOTIFICATION_EMAIL_LEASE_SECONDS',
  'NOTIFICATION_DIGEST_INTERVAL_SECONDS',
  'UPLOAD_DIR',
  'LOG_LEVEL',
  'REGISTRATIONS_PER_IP_PER_HOUR',
  'LOGINS_PER_IP_PER_MINUTE',
  'SEARCHES_PER_IP_PER_MINUTE',
  'SEARCH_MEMORY_MB',
  'ADMIN_EMAIL',
  'ADMIN_PASSWORD',
  'WEBHOOK_ALLOW_PRIVATE_NETWORKS',
  'CORS_ORIGINS',
  'TRUST_PROXY',
  'GUEST_CACHE_SECONDS',
  'METRICS_PORT',
  'METRICS_TOKEN',
  'SESSION_MAX_DAYS',
  'HEAP_GROWING_PERCENT',
  'OUTBOX_RETENTION_DAYS',
  'OUTBOX_PRUNE_INTERVAL_SECONDS',
  'UNATTACHED_UPLOAD_HOURS',
  'UPLOAD_SWEEP_INTERVAL_SECONDS',
  'PASSWORD_RESET_TTL_MINUTES',
  'PASSWORD_RESETS_PER_IP_PER_HOUR',
  'PASSWORD_RESETS_PER_EMAIL_PER_HOUR',
];

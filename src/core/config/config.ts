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
}

export interface AppConfig {
  port: number;
  host: string;
  databaseUrl: string | null;
  dataDir: string;
  redisUrl: string | null;
  publicUrl: string;
  smtpUrl: string | null;
  uploadDir: string;
  logLevel: LogLevel;
  registrationsPerIpPerHour: number;
  loginsPerIpPerMinute: number;
  /** Searches allowed per client IP per minute. */
  searchesPerIpPerMinute: number;
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
    uploadDir: vars.UPLOAD_DIR ?? `${dataDir}/uploads`,
    logLevel: vars.LOG_LEVEL ?? 'info',
    registrationsPerIpPerHour: vars.REGISTRATIONS_PER_IP_PER_HOUR ?? 20,
    loginsPerIpPerMinute: vars.LOGINS_PER_IP_PER_MINUTE ?? 30,
    searchesPerIpPerMinute: vars.SEARCHES_PER_IP_PER_MINUTE ?? 60,
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
  'UPLOAD_DIR',
  'LOG_LEVEL',
  'REGISTRATIONS_PER_IP_PER_HOUR',
  'LOGINS_PER_IP_PER_MINUTE',
  'SEARCHES_PER_IP_PER_MINUTE',
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
];

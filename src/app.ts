import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import { RequestMethod, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyReply, FastifyRequest, LogController } from 'fastify';
import Redis from 'ioredis';
import { AppModule } from './app.module';
import { AppConfig } from './core/config/config';
import { DatabaseHandle, openDatabase, runMigrations } from './core/database/data-source';
import { CommonErrors } from './core/errors/app-error';
import { flattenValidationErrors } from './core/errors/problem';
import { problemClientErrorHandler } from './core/errors/client-error';
import { ProblemFilter, sendProblem } from './core/errors/problem.filter';
import { DEFAULT_DISPATCHER_OPTIONS, DispatcherOptions } from './core/events/event-dispatcher';
import { Invalidations } from './core/cluster/invalidations';
import { GuestCache } from './core/http/guest-cache';
import { installSecurityHeaders, PAGE_SECURITY_OPTIONS } from './core/http/security-headers';
import { PAGE_PATHS } from './web/page-routes';
import { installInputGuard } from './core/http/input-guard';
import { recordRoutes, setupOpenApi } from './core/http/openapi';
import { installMetrics, startMetricsListener } from './core/http/metrics';
import { createLogger, PinoNestLogger } from './core/logging/logger';
import { ENTITIES } from './core/database/entities';
import { IdentityService } from './identity/identity.service';
import { HearthIoAdapter } from './chat/socket-adapter';

export const API_PREFIX = 'api/v1';
const BODY_LIMIT_BYTES = 1024 * 1024;

export interface AppOptions {
  /** Test and benchmark knobs; production uses the defaults. */
  dispatcher?: Partial<DispatcherOptions>;
  rateLimitPrefix?: string;
  /** An already open database (tests open theirs to share it or inspect it). */
  database?: DatabaseHandle;
  logDestination?: import('pino').DestinationStream;
}

export interface HearthApp {
  app: NestFastifyApplication;
  database: DatabaseHandle;
  /** The metrics listener's `/metrics` URL when METRICS_PORT is set (METRICS_PORT=0: a free port), else null. */
  metricsUrl: string | null;
  /** Every route served, as `METHOD /path/{param}` (the OpenAPI test holds the document to them). */
  routes: ReadonlySet<string>;
  close(): Promise<void>;
}

/** Builds the whole server (database migrated, admin ensured), ready to listen. Used by main.ts, the tests and the benchmarks. */
export async function createApp(config: AppConfig, options: AppOptions = {}): Promise<HearthApp> {
  const logger = createLogger(config.logLevel, options.logDestination);
  const database = options.database ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, entities: ENTITIES }));
  await runMigrations(database.dataSource, logger);
  const redis = config.redisUrl ? new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false }) : null;
  redis?.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
  const invalidations = new Invalidations(redis, logger, config.databaseUrl ?? config.dataDir);
  const guestCache = new GuestCache(config.guestCacheSeconds, invalidations);

  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.trustProxy,
    // Reuse a caller's x-request-id only when it is short and plain (it goes into logs and headers).
    requestIdHeader: false,
    genReqId: (req: import('node:http').IncomingMessage) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w.:-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    },
     // Errors the router raises before any route runs (a malformed URL, an over-long path parameter) leave as problem+json too.
    frameworkErrors: (err: Error, request: FastifyRequest, reply: FastifyReply) => sendProblem(request, reply, err),
    // ... and so do those Node's HTTP parser raises before there is a request (a head over 16 KiB).
    clientErrorHandler: problemClientErrorHandler,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({
      config,
      logger,
      database,
      redis,
      dispatcher: { ...DEFAULT_DISPATCHER_OPTIONS, ...options.dispatcher },
      rateLimitPrefix: options.rateLimitPrefix ?? 'hearth',
      invalidations,
    }),
    adapter,
    // Our own JSON parser (installInputGuard) replaces Nest's; the API takes JSON and multipart only.
    { logger: new PinoNestLogger(logger), bodyParser: false },
  );

  const fastify = app.getHttpAdapter().getInstance();
  const routes = recordRoutes(fastify);
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  fastify.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
      'request',
    );
  });
  installSecurityHeaders(fastify, {
    // The JSON API needs no CSP relaxations; the Swagger UI page needs its inline bootstrap.
    contentSecurityPolicy: {
      directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'", "'unsafe-inline'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'] },
    },
    crossOriginResourcePolicy: { policy: 'same-site' },
  }, PAGE_SECURITY_OPTIONS);
  if (config.corsOrigins) {
    app.enableCors({
      origin: config.corsOrigins === '*' ? true : config.corsOrigins,
      credentials: false,
      exposedHeaders: ['x-request-id', 'retry-after'],
    });
  }
  // NUL characters, unpaired surrogates and over-deep JSON are refused before any route sees them.
  installInputGuard(fastify);
  // Uploads stream through their own limits (10 MiB, one file), not the 1 MiB JSON body limit.
  await app.register(multipart, { limits: { fileSize: 10 * 1024 * 1024, files: 1, fields: 5, parts: 6 } });
  const metrics = installMetrics(fastify, { token: config.metricsToken });
  // After helmet and CORS, whose headers a cached answer needs too.
  guestCache.install(fastify);
  await invalidations.start();

  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      ...PAGE_PATHS,
    ],
  });
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
      exceptionFactory: (errors) => CommonErrors.validation(flattenValidationErrors(errors)),
    }),
  );
  app.useGlobalFilters(new ProblemFilter());

  setupOpenApi(app);
  // socket.io shares the HTTP server and port (the chat gateway); with REDIS_URL, instances share rooms.
  app.useWebSocketAdapter(new HearthIoAdapter(app, { redisUrl: config.redisUrl, database: config.databaseUrl ?? config.dataDir, corsOrigins: config.corsOrigins, logger }));

  await app.init();

  if (config.adminEmail && config.adminPassword) {
    const outcome = await app.get(IdentityService).ensurePlatformAdmin(config.adminEmail, config.adminPassword);
    logger.info({ email: config.adminEmail, outcome }, 'platform admin ensured');
  }

  // Metrics get their own listener (on HOST, port METRICS_PORT), kept off the public one.
  const metricsListener = config.metricsPort !== null ? await startMetricsListener(metrics, config.host, config.metricsPort) : null;

  return {
    app,
    database,
    metricsUrl: metricsListener?.url ?? null,
    routes,
    close: async () => {
      await metricsListener?.close();
      await app.close();
      await invalidations.close();
      redis?.disconnect();
      if (!options.database) await database.close();
    },
  };
}

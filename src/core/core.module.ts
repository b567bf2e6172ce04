import { DynamicModule, Global, Module } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from './config/config';
import { DatabaseHandle } from './database/data-source';
import { Db } from './database/db.service';
import { DispatcherOptions, EventDispatcher } from './events/event-dispatcher';
import { EventsService } from './events/events.service';
import { OutboxPruner } from './events/outbox-pruner';
import { INVALIDATIONS, Invalidations } from './cluster/invalidations';
import { HealthController } from './http/health.controller';
import { LOGGER } from './logging/logger';
import { RateLimitService } from './rate-limit/rate-limit.service';
import { Cursors, loadCursorKey } from './pagination/cursors';
import { CommunityPolicy } from './policy/community-policy';
import { Mailer } from './mail/mailer';

export interface CoreRuntime {
  config: AppConfig;
  logger: Logger;
  database: DatabaseHandle;
  redis: Redis | null;
  dispatcher: DispatcherOptions;
  rateLimitPrefix: string;
  invalidations: Invalidations;
}

/** Plumbing every module may inject: config, logger, Db (transactions), the outbox, rate limits, cross-instance cache invalidations, cursors, the community policy (sanctions and rules). */
@Global()
@Module({})
export class CoreModule {
  static forRoot(runtime: CoreRuntime): DynamicModule {
    return {
      module: CoreModule,
      controllers: [HealthController],
      providers: [
        { provide: APP_CONFIG, useValue: runtime.config },
        { provide: LOGGER, useValue: runtime.logger },
        { provide: Db, useValue: new Db(runtime.database.dataSource) },
        EventsService,
        {
          provide: EventDispatcher,
          inject: [Db, EventsService],
          useFactory: (db: Db, events: EventsService) => new EventDispatcher(db, events, runtime.dispatcher, runtime.logger),
        },
        { provide: RateLimitService, useFactory: () => new RateLimitService(runtime.redis, runtime.rateLimitPrefix) },
        { provide: INVALIDATIONS, useValue: runtime.invalidations },
        { provide: Cursors, inject: [Db], useFactory: async (db: Db) => new Cursors(await loadCursorKey(db)) },
        CommunityPolicy,
        Mailer,
        OutboxPruner,
      ],
      exports: [APP_CONFIG, LOGGER, Db, EventsService, EventDispatcher, RateLimitService, INVALIDATIONS, Cursors, CommunityPolicy, Mailer, OutboxPruner],
    };
  }
}

import { DynamicModule, Global, Module } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from './config/config';
import { DatabaseHandle } from './database/data-source';
import { Db } from './database/db.service';
import { DispatcherOptions, EventDispatcher } from './events/event-dispatcher';
import { EventsService } from './events/events.service';
import { GUEST_CACHE, GuestCache } from './http/guest-cache';
import { HealthController } from './http/health.controller';
import { LOGGER } from './logging/logger';
import { RateLimitService } from './rate-limit/rate-limit.service';

export interface CoreRuntime {
  config: AppConfig;
  logger: Logger;
  database: DatabaseHandle;
  redis: Redis | null;
  dispatcher: DispatcherOptions;
  rateLimitPrefix: string;
  guestCache: GuestCache;
}

/** Plumbing every module may inject: config, logger, Db (transactions), the outbox, rate limits, the guest cache. */
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
        { provide: GUEST_CACHE, useValue: runtime.guestCache },
      ],
      exports: [APP_CONFIG, LOGGER, Db, EventsService, EventDispatcher, RateLimitService, GUEST_CACHE],
    };
  }
}

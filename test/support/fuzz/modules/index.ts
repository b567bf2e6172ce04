import { Http } from '../../http';
import { PoolValue, Scope, World } from '../world';
import { chatFixtures } from './chat';
import { loyaltyFixtures } from './loyalty';
import { lookFixtures } from './look';
import { moderationFixtures } from './moderation';
import { notificationsFixtures } from './notifications';
import { storeFixtures } from './store';
import { profilesFixtures } from './profiles';

/** What a module's fuzz fixtures get: the world built so far, and a way to add pool values. */
export interface FixtureContext {
  http: Http;
  baseUrl: string;
  world: World;
  pool(name: string, value: string, label: string, scope?: Scope): void;
}

/**
 * A module's part of the fuzz world: the path parameters its routes add (`pathPools`) and the real
 * values for them, built after the content core's fixtures. Each module keeps its own file, so
 * modules landing side by side do not edit one list.
 */
export interface ModuleFixtures {
  pathPools: readonly string[];
  build(ctx: FixtureContext): Promise<void>;
}

export const MODULE_FIXTURES: ModuleFixtures[] = [chatFixtures, moderationFixtures, loyaltyFixtures, storeFixtures, notificationsFixtures, profilesFixtures, lookFixtures];

export type { PoolValue };

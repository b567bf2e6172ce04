import { Foundation1764050000000 } from './1764050000000-Foundation';
import { BoardsThreads1764060000000 } from './1764060000000-BoardsThreads';
import { Qa1764070000000 } from './1764070000000-Qa';
import { SearchTiers1764080000000 } from './1764080000000-SearchTiers';
import { SessionActivity1764090000000 } from './1764090000000-SessionActivity';
import { ServerSecrets1764100000000 } from './1764100000000-ServerSecrets';
import { SearchIndex1764110000000 } from './1764110000000-SearchIndex';
import { SearchTitleDocument1764111000000 } from './1764111000000-SearchTitleDocument';

/** Every migration, in order. Listed explicitly so the same list loads under tsc, ts-jest and node. */
export const MIGRATIONS = [Foundation1764050000000, BoardsThreads1764060000000, Qa1764070000000, SearchTiers1764080000000, SessionActivity1764090000000, ServerSecrets1764100000000, SearchIndex1764110000000, SearchTitleDocument1764111000000];

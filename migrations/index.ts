import { Foundation1764050000000 } from './1764050000000-Foundation';
import { BoardsThreads1764060000000 } from './1764060000000-BoardsThreads';
import { Qa1764070000000 } from './1764070000000-Qa';
import { SearchTiers1764080000000 } from './1764080000000-SearchTiers';
import { SessionActivity1764090000000 } from './1764090000000-SessionActivity';
import { ServerSecrets1764100000000 } from './1764100000000-ServerSecrets';
import { SearchIndex1764110000000 } from './1764110000000-SearchIndex';
import { SearchTitleDocument1764111000000 } from './1764111000000-SearchTitleDocument';
import { Chat1764120000000 } from './1764120000000-Chat';
import { Moderation1764130000000 } from './1764130000000-Moderation';
import { Loyalty1764140000000 } from './1764140000000-Loyalty';
import { Store1764150000000 } from './1764150000000-Store';
import { Notifications1764160000000 } from './1764160000000-Notifications';
import { StoreFairClaim1764165000000 } from './1764165000000-StoreFairClaim';
import { Usernames1764170000000 } from './1764170000000-Usernames';
import { Edits1764175000000 } from './1764175000000-Edits';
import { AccountRecovery1764180000000 } from './1764180000000-AccountRecovery';
import { Insights1764190000000 } from './1764190000000-Insights';
import { InsightsRollups1764192000000 } from './1764192000000-InsightsRollups';
import { CommunityLooks1764200000000 } from './1764200000000-CommunityLooks';
import { RewardsDisabled1764205000000 } from './1764205000000-RewardsDisabled';
import { InsightsForgotten1764210000000 } from './1764210000000-InsightsForgotten';
import { AuditFilters1764215000000 } from './1764215000000-AuditFilters';
import { SearchTerms1764220000000 } from './1764220000000-SearchTerms';
import { InsightsPointsByRule1764225000000 } from './1764225000000-InsightsPointsByRule';
import { SearchThreadChanges1764230000000 } from './1764230000000-SearchThreadChanges';

/** Every migration, in order. Listed explicitly so the same list loads under tsc, ts-jest and node. */
export const MIGRATIONS = [
  Foundation1764050000000,
  BoardsThreads1764060000000,
  Qa1764070000000,
  SearchTiers1764080000000,
  SessionActivity1764090000000,
  ServerSecrets1764100000000,
  SearchIndex1764110000000,
  SearchTitleDocument1764111000000,
  Chat1764120000000,
  Moderation1764130000000,
  Loyalty1764140000000,
  Store1764150000000,
  Notifications1764160000000,
  StoreFairClaim1764165000000,
  Usernames1764170000000,
  Edits1764175000000,
  AccountRecovery1764180000000,
  Insights1764190000000,
  InsightsRollups1764192000000,
  CommunityLooks1764200000000,
  RewardsDisabled1764205000000,
  InsightsForgotten1764210000000,
  AuditFilters1764215000000,
  SearchTerms1764220000000,
  InsightsPointsByRule1764225000000,
  SearchThreadChanges1764230000000,
  // chat (1764120000000), moderation (1764130000000), loyalty (1764140000000): one line each, in order
];

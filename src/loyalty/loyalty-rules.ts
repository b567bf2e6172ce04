/**
 * Points rules and tiers of a community: defaults (DESIGN.md "Points"), what is stored over them,
 * and the tier a number of points reaches. Pure functions, shared by the consumer and the routes.
 */

/** The earning rules, by their API name, with the ledger's rule name and the default points. */
export const EARN_RULES = {
  threadCreated: { rule: 'thread_created', default: 5, content: true },
  replyCreated: { rule: 'reply_created', default: 2, content: true },
  showcasePhoto: { rule: 'showcase_photo', default: 10, content: true },
  answerAccepted: { rule: 'answer_accepted', default: 15, content: true },
  answerOfficial: { rule: 'answer_official', default: 10, content: true },
  reactionReceived: { rule: 'reaction_received', default: 1, content: true },
  firstPostOfDay: { rule: 'first_post_of_day', default: 1, content: true },
  orderPointsPerUnit: { rule: 'order_paid', default: 0, content: false },
} as const;

export type EarnRuleName = keyof typeof EARN_RULES;
export const EARN_RULE_NAMES = Object.keys(EARN_RULES) as EarnRuleName[];
export type LedgerRule = (typeof EARN_RULES)[EarnRuleName]['rule'];

/** Content rules count towards dailyPointsCap, except accepted answers (DESIGN.md). */
export const CAPPED_RULES: readonly string[] = EARN_RULE_NAMES.filter((n) => EARN_RULES[n].content && n !== 'answerAccepted').map((n) => EARN_RULES[n].rule);
/** Rules whose points wait out the moderation window (pointsPendingHours). */
export const CONTENT_RULES: readonly string[] = EARN_RULE_NAMES.filter((n) => EARN_RULES[n].content).map((n) => EARN_RULES[n].rule);

export interface Tier {
  name: string;
  minLifetime: number;
}

export const DEFAULT_TIERS: Tier[] = [
  { name: 'Bronze', minLifetime: 0 },
  { name: 'Silver', minLifetime: 500 },
  { name: 'Gold', minLifetime: 2000 },
  { name: 'Platinum', minLifetime: 5000 },
];

export const RULE_MAX_POINTS = 10_000;
export const MAX_TIERS = 10;
export const MAX_EXPIRY_DAYS = 3650;

export type LoyaltyRules = { [K in EarnRuleName]: number } & {
  tiers: Tier[];
  /** Points expire after this many days without earning or redeeming (0: never). */
  expiryInactiveDays: number;
};

export function defaultRules(): LoyaltyRules {
  const out = {} as LoyaltyRules;
  for (const name of EARN_RULE_NAMES) out[name] = EARN_RULES[name].default;
  out.tiers = DEFAULT_TIERS.map((t) => ({ ...t }));
  out.expiryInactiveDays = 0;
  return out;
}

/** Stored values over the defaults; anything stored that is no longer valid falls back to the default. */
export function resolveRules(stored: Record<string, unknown> | null | undefined): LoyaltyRules {
  const out = defaultRules();
  for (const name of EARN_RULE_NAMES) {
    const v = stored?.[name];
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= RULE_MAX_POINTS) out[name] = v;
  }
  const days = stored?.expiryInactiveDays;
  if (typeof days === 'number' && Number.isInteger(days) && days >= 0 && days <= MAX_EXPIRY_DAYS) out.expiryInactiveDays = days;
  const tiers = stored?.tiers;
  if (Array.isArray(tiers) && tiersProblem(tiers as Tier[]) === null) out.tiers = (tiers as Tier[]).map((t) => ({ name: t.name, minLifetime: t.minLifetime }));
  return out;
}

/** null when the tiers are usable: 1..10, the first at 0, thresholds strictly increasing, names unique. */
export function tiersProblem(tiers: Tier[]): string | null {
  if (!tiers.length || tiers.length > MAX_TIERS) return `between 1 and ${MAX_TIERS} tiers`;
  if (tiers[0].minLifetime !== 0) return 'the first tier must start at minLifetime 0';
  for (let i = 1; i < tiers.length; i++) {
    if (!(tiers[i].minLifetime > tiers[i - 1].minLifetime)) return 'minLifetime must increase from one tier to the next';
  }
  const names = new Set(tiers.map((t) => t.name.toLowerCase()));
  if (names.size !== tiers.length) return 'tier names must be unique';
  return null;
}

/** The tier `points` reach, and the next one (with how many points it still needs). */
export function tierOf(tiers: Tier[], points: number): { tier: Tier; next: (Tier & { pointsNeeded: number }) | null } {
  let index = 0;
  for (let i = 0; i < tiers.length; i++) if (points >= tiers[i].minLifetime) index = i;
  const next = tiers[index + 1];
  return { tier: tiers[index], next: next ? { ...next, pointsNeeded: next.minLifetime - points } : null };
}

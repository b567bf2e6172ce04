import { CAPPED_RULES, CONTENT_RULES, DEFAULT_TIERS, defaultRules, resolveRules, tierOf, tiersProblem } from './loyalty-rules';

describe('loyalty rules', () => {
  it('has the defaults of DESIGN.md', () => {
    expect(defaultRules()).toEqual({
      threadCreated: 5, replyCreated: 2, showcasePhoto: 10, answerAccepted: 15, answerOfficial: 10, reactionReceived: 1, firstPostOfDay: 1, orderPointsPerUnit: 0,
      tiers: DEFAULT_TIERS, expiryInactiveDays: 0,
    });
  });

  it('caps content points except accepted answers; orders are neither capped nor pending', () => {
    expect(CAPPED_RULES).not.toContain('answer_accepted');
    expect(CAPPED_RULES).toEqual(expect.arrayContaining(['thread_created', 'reply_created', 'showcase_photo', 'answer_official', 'reaction_received', 'first_post_of_day']));
    expect(CONTENT_RULES).toContain('answer_accepted');
    expect([...CAPPED_RULES, ...CONTENT_RULES]).not.toContain('order_paid');
  });

  it('keeps stored values that are valid and falls back for the others', () => {
    const rules = resolveRules({ replyCreated: 4, threadCreated: -1, showcasePhoto: 2.5, tiers: [{ name: 'A', minLifetime: 3 }], expiryInactiveDays: 30 });
    expect(rules).toEqual(expect.objectContaining({ replyCreated: 4, threadCreated: 5, showcasePhoto: 10, tiers: DEFAULT_TIERS, expiryInactiveDays: 30 }));
  });

  it('checks tiers: first at 0, increasing, unique names', () => {
    expect(tiersProblem(DEFAULT_TIERS)).toBeNull();
    expect(tiersProblem([])).not.toBeNull();
    expect(tiersProblem([{ name: 'A', minLifetime: 1 }])).not.toBeNull();
    expect(tiersProblem([{ name: 'A', minLifetime: 0 }, { name: 'B', minLifetime: 0 }])).not.toBeNull();
    expect(tiersProblem([{ name: 'A', minLifetime: 0 }, { name: 'a', minLifetime: 5 }])).not.toBeNull();
  });

  it('finds the tier reached and what the next one needs', () => {
    expect(tierOf(DEFAULT_TIERS, 0)).toEqual({ tier: DEFAULT_TIERS[0], next: { name: 'Silver', minLifetime: 500, pointsNeeded: 500 } });
    expect(tierOf(DEFAULT_TIERS, 499).tier.name).toBe('Bronze');
    expect(tierOf(DEFAULT_TIERS, 500).tier.name).toBe('Silver');
    expect(tierOf(DEFAULT_TIERS, 4999).next).toEqual({ name: 'Platinum', minLifetime: 5000, pointsNeeded: 1 });
    expect(tierOf(DEFAULT_TIERS, 9999)).toEqual({ tier: DEFAULT_TIERS[3], next: null });
  });
});

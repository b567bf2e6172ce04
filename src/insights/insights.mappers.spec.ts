import { Effects, effectsOf } from './event-effects';
import { csvCell, csvLine } from './insights.mappers';
import { segmentOf } from './segments.service';

describe('CSV cells (RFC 4180, formula injection)', () => {
  it.each([
    ['plain', 'plain'],
    ['=SUM(A1:A9)', "'=SUM(A1:A9)"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@cmd', "'@cmd"],
    ['\tx', "'\tx"],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=HYPERLINK("x")', `"'=HYPERLINK(""x"")"`],
  ])('%j -> %j', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it('leaves numbers, booleans and empty values as they are', () => {
    expect(csvLine([-3, 0.25, true, null, undefined, ''])).toBe('-3,0.25,true,,,\r\n');
  });
});

describe('segments', () => {
  it('A by active days or by the top-10% contribution, B when active, C otherwise', () => {
    expect(segmentOf(8, 0, 8, null)).toBe('A');
    expect(segmentOf(7, 30, 8, 30)).toBe('A');
    expect(segmentOf(7, 29, 8, 30)).toBe('B');
    expect(segmentOf(1, 2, 8, null)).toBe('B');
    expect(segmentOf(0, 0, 8, 0)).toBe('C');
  });
});

describe('event effects', () => {
  const at = (day: string) => new Date(`${day}T10:00:00Z`);
  const base = { communityId: 'c', boardId: 'b', authorId: 'u', productSkus: ['S'], tags: [] as string[] };
  it('sums a batch per member, day and key; a reply to a known question is an answer', () => {
    const fx: Effects = effectsOf(
      [
        { id: '1', type: 'thread.created', communityId: 'c', createdAt: at('2026-01-01'), data: { ...base, threadId: 'q', postId: 'p1', title: 't', boardKind: 'qa', hasImage: false } },
        { id: '2', type: 'post.created', communityId: 'c', createdAt: at('2026-01-01'), data: { ...base, authorId: 'v', threadId: 'q', postId: 'p2', replyToPostId: null, hasImage: false } },
        { id: '3', type: 'post.created', communityId: 'c', createdAt: at('2026-01-02'), data: { ...base, authorId: 'v', threadId: 'old', postId: 'p3', replyToPostId: null, hasImage: false } },
        { id: '4', type: 'tier.changed', communityId: 'c', createdAt: at('2026-01-02'), data: { communityId: 'c', userId: 'v', tier: 'Gold', previousTier: null } },
        { id: '3', type: 'tier.changed', communityId: 'c', createdAt: at('2026-01-02'), data: { communityId: 'c', userId: 'v', tier: 'Silver', previousTier: null } },
      ] as never,
      ['old'],
    );
    expect(fx.profiles.get('c|u')?.counters).toEqual({ threads: 1, questions: 1 });
    expect(fx.profiles.get('c|v')?.counters).toEqual({ replies: 2, answers: 2 });
    expect(fx.profiles.get('c|v')?.tier).toBe('Gold');
    expect([...fx.activity.values()].map((a) => [a.userId, a.day, a.actions, a.contribution])).toEqual([
      ['u', '2026-01-01', 1, 3],
      ['v', '2026-01-01', 1, 2],
      ['v', '2026-01-02', 1, 2],
    ]);
    expect(fx.daily.get('c|2026-01-01')?.counters).toEqual({ threads: 1, questions: 1, replies: 1 });
    expect([...fx.keys.values()]).toEqual([{ communityId: 'c', kind: 'sku', day: '2026-01-01', key: 'S', n: 1 }]);
  });
});

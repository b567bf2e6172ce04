import { seededRandom } from '../../../test/support/seed-text';
import { POSTING, PostingLists } from './postings';

/** Posting lists: the intersection (walking and galloping) equals a plain set intersection, and compaction renumbers. */
describe('PostingLists', () => {
  const build = (docsByList: number[][]) => {
    const lists = new PostingLists();
    for (const docs of docsByList) {
      const id = lists.add();
      for (const doc of docs) lists.append(id, doc, doc * 10, (doc % 5) + 1, doc % 4, doc * 7);
    }
    return lists;
  };
  const naive = (docsByList: number[][]) => docsByList[0].filter((d) => docsByList.every((docs) => docs.includes(d)));

  it('intersects lists of any density, each posting found at its offset', () => {
    const random = seededRandom(7);
    for (let round = 0; round < 200; round++) {
      const densities = Array.from({ length: 1 + Math.floor(random() * 3) }, () => [0.002, 0.05, 0.3, 0.9][Math.floor(random() * 4)]);
      const docsByList = densities.map((p) => Array.from({ length: 3_000 }, (_, d) => d).filter(() => random() < p));
      const lists = build(docsByList);
      const found = lists.intersect(docsByList.map((_, i) => i));
      const expected = naive(docsByList);
      expect(Array.from(found.docs.subarray(0, found.count))).toEqual(expected);
      // Each list's posting for the match, read at the offset given: [doc, positions at, count << 2 | weight, ceiling].
      const read = expected.flatMap((_, m) => docsByList.map((__, i) => Array.from(found.data[i].subarray(found.at[m * docsByList.length + i], found.at[m * docsByList.length + i] + POSTING))));
      expect(read).toEqual(expected.flatMap((d) => docsByList.map(() => [d, d * 10, (((d % 5) + 1) << 2) | d % 4, d * 7])));
    }
  });

  it('drops and renumbers postings on compaction, keeping their order', () => {
    const lists = build([
      [0, 1, 2, 3, 4, 5],
      [1, 3, 5],
    ]);
    // Documents 0, 2 and 3 die; 1 -> 0, 4 -> 1, 5 -> 2, positions moved back by 5 each.
    lists.compact(Int32Array.from([-1, 0, -1, -1, 1, 2]), Int32Array.from([0, -5, 0, 0, -5, -5]));
    const found = lists.intersect([0, 1]);
    expect(Array.from(found.docs.subarray(0, found.count))).toEqual([0, 2]);
    expect(found.data[1][found.at[1] + 1]).toBe(1 * 10 - 5);
    expect(found.data[1][found.at[3] + 1]).toBe(5 * 10 - 5);
    expect(lists.intersect([0]).count).toBe(3);
    // A ceiling set by document (a reply changed its boost): only that document's posting in that list.
    lists.setCeiling(1, 2, 99);
    const after = lists.intersect([0, 1]);
    expect([after.data[1][after.at[1] + 3], after.data[1][after.at[3] + 3], after.data[0][after.at[2] + 3]]).toEqual([7, 99, 35]);
  });
});

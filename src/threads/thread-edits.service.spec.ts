import { AppError } from '../core/errors/app-error';
import { assertWithinEditWindow, threadChanges } from './thread-edits.service';

describe('assertWithinEditWindow', () => {
  const created = new Date('2026-01-01T00:00:00Z');
  const at = (minutes: number) => created.getTime() + minutes * 60_000;
  const refusal = (fn: () => void) => {
    try {
      fn();
      return null;
    } catch (err) {
      return err instanceof AppError ? [err.status, err.code, err.extra] : err;
    }
  };

  it('is open up to and including the last minute, closed after', () => {
    expect(refusal(() => assertWithinEditWindow(created, 10, at(0)))).toBeNull();
    expect(refusal(() => assertWithinEditWindow(created, 10, at(10)))).toBeNull();
    expect(refusal(() => assertWithinEditWindow(created, 10, at(10) + 1))).toEqual([403, 'EDIT_WINDOW_CLOSED', { editWindowMinutes: 10 }]);
  });

  it('is always open with 0', () => {
    expect(refusal(() => assertWithinEditWindow(created, 0, at(525_600 * 10)))).toBeNull();
  });
});

describe('threadChanges', () => {
  const current = { title: 'Title', tags: ['a', 'b'], productSkus: ['S1'] };

  it('keeps only the fields that differ, before and after', () => {
    expect(threadChanges(current, { title: 'New', tags: ['a', 'b'], productSkus: [] })).toEqual({
      before: { title: 'Title', productSkus: ['S1'] },
      after: { title: 'New', productSkus: [] },
    });
  });

  it('is null when nothing differs or nothing is given (null counts as not given)', () => {
    expect(threadChanges(current, {})).toBeNull();
    expect(threadChanges(current, { title: 'Title', tags: ['a', 'b'] })).toBeNull();
    expect(threadChanges(current, { title: null as unknown as string, tags: null as unknown as string[] })).toBeNull();
  });

  it('counts a new order of tags as a change', () => {
    expect(threadChanges(current, { tags: ['b', 'a'] })).toEqual({ before: { tags: ['a', 'b'] }, after: { tags: ['b', 'a'] } });
  });
});

import { canSeeBoard, canStartThread, visibleVisibilities } from './board-access';

describe('board access', () => {
  it.each([
    ['public', null, true],
    ['public', 'member', true],
    ['members', null, false],
    ['members', 'member', true],
    ['staff', 'member', false],
    ['staff', 'staff', true],
    ['staff', 'admin', true],
  ] as const)('%s board seen by %s: %s', (visibility, role, expected) => {
    expect(canSeeBoard(visibility, role)).toBe(expected);
  });

  it('lets only staff and above start announcements', () => {
    expect(canStartThread('announcements', 'public', 'member')).toBe(false);
    expect(canStartThread('announcements', 'public', 'staff')).toBe(true);
    expect(canStartThread('discussion', 'public', 'member')).toBe(true);
    expect(canStartThread('discussion', 'public', null)).toBe(false);
    expect(canStartThread('qa', 'staff', 'member')).toBe(false);
  });

  it('lists visibilities per role', () => {
    expect(visibleVisibilities(null)).toEqual(['public']);
    expect(visibleVisibilities('member')).toEqual(['public', 'members']);
    expect(visibleVisibilities('moderator')).toEqual(['public', 'members', 'staff']);
  });
});

import { Role, roleAtLeast } from '../core/auth/roles';

export const BOARD_KINDS = ['discussion', 'qa', 'showcase', 'announcements', 'ideas'] as const;
export type BoardKind = (typeof BOARD_KINDS)[number];
export const BOARD_VISIBILITIES = ['public', 'members', 'staff'] as const;
export type BoardVisibility = (typeof BOARD_VISIBILITIES)[number];

/** public: everyone, guests too; members: the community's members; staff: staff, moderators and admins. */
export function canSeeBoard(visibility: BoardVisibility, role: Role | null): boolean {
  switch (visibility) {
    case 'public':
      return true;
    case 'members':
      return roleAtLeast(role, 'member');
    case 'staff':
      return roleAtLeast(role, 'staff');
  }
}

/** Members start threads where they can see the board; announcements are started by staff only. */
export function canStartThread(kind: BoardKind, visibility: BoardVisibility, role: Role | null): boolean {
  if (!roleAtLeast(role, 'member') || !canSeeBoard(visibility, role)) return false;
  return kind === 'announcements' ? roleAtLeast(role, 'staff') : true;
}

/** The visibilities a role can see, for filtering lists and search in SQL. */
export function visibleVisibilities(role: Role | null): BoardVisibility[] {
  return BOARD_VISIBILITIES.filter((v) => canSeeBoard(v, role));
}

/** Roles live on the membership; each holds every power of the roles before it. */
export const ROLES = ['member', 'staff', 'moderator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function roleAtLeast(role: Role | null | undefined, minimum: Role): boolean {
  if (!role) return false;
  return ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

import { Db, isUniqueViolation } from '../core/database/db.service';
import { MeUserView } from './dto/auth.dto';
import { IdentityErrors } from './identity.errors';
import { UserEntity } from './user.entity';
import { isReservedUsername, usernameBase, usernameCandidate, usernameKey, usernameProblem } from './usernames';

/** GET /users/:idOrUsername. */
export interface PublicProfile {
  id: string;
  username: string;
  displayName: string;
  avatarUrl: string | null;
  bio: string;
}

/**
 * Names another module reserves (community slugs), given lowercase candidates: returns the reserved
 * ones. Registered at start by that module (identity may not import it). See reserveNames().
 */
export type ReservedNamesCheck = (keys: string[]) => Promise<Set<string>>;

/** A username may change once per this many days (a case-only change is free). */
export const USERNAME_CHANGE_DAYS = 30;

/** What a profile edit changed, for the caller's event and cache invalidation. */
export interface ProfileChange {
  user: MeUserView;
  changed: Array<'displayName' | 'username' | 'bio' | 'avatar'>;
  previousUsername: string | null;
  /** The avatar file replaced by this edit (its file can go once the edit committed). */
  previousAvatarFile: string | null;
}

export interface ProfilePatch {
  displayName?: string;
  username?: string;
  bio?: string;
  avatar?: { file: string; url: string };
}

/** The 8-4-4-4-12 hex form; checked without a regular expression. */
function isUuid(value: string): boolean {
  if (value.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = value[i];
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

/**
 * The SQL side of usernames and profiles (issue 20), for IdentityService: accounts inserted with a
 * chosen or derived username, handles resolved for mentions, public profiles, profile edits with the
 * 30-day rename rule and the username history. The rules themselves are in usernames.ts.
 */
export class UsernameStore {
  private readonly reservedChecks: ReservedNamesCheck[] = [];

  constructor(private readonly db: Db) {}

  reserveNames(check: ReservedNamesCheck): void {
    this.reservedChecks.push(check);
  }

  /** Which of these lowercase names are reserved: the fixed list, and what other modules reserve. */
  private async reservedAmong(keys: string[]): Promise<Set<string>> {
    const out = new Set(keys.filter((k) => isReservedUsername(k)));
    for (const check of this.reservedChecks) for (const k of await check(keys)) out.add(k);
    return out;
  }

  /** 422 INVALID_USERNAME or USERNAME_RESERVED; whether it is taken is left to the unique index. */
  private async assertAllowed(name: string): Promise<void> {
    const problem = usernameProblem(name);
    if (problem) throw IdentityErrors.invalidUsername(problem);
    if ((await this.reservedAmong([usernameKey(name)])).size) throw IdentityErrors.usernameReserved();
  }

  /** The first of `base`, `base1`, `base2`... that is neither taken nor reserved (50 candidates a query). */
  private async freeUsername(base: string): Promise<string> {
    for (let from = 0; ; from += 50) {
      const candidates = Array.from({ length: 50 }, (_, i) => usernameCandidate(base, from + i));
      const keys = candidates.map(usernameKey);
      const taken = await this.reservedAmong(keys);
      const rows = await this.db.query<{ k: string }>('SELECT lower(username) AS k FROM users WHERE lower(username) = ANY($1::text[])', [keys]);
      for (const r of rows) taken.add(r.k);
      const free = candidates.find((c) => !taken.has(usernameKey(c)));
      if (free) return free;
    }
  }

  /**
   * Inserts an account with the username chosen (422 when malformed or reserved, 409 USERNAME_TAKEN
   * when someone holds it in any letter case, also when two sign-ups race for it), or else one derived
   * from the display name (`ada`, `ada1`...; a race for the same derived name retries with the next).
   * The insert runs in a savepoint, so a lost race leaves the caller's transaction usable.
   */
  async insertAccount(fields: Partial<UserEntity> & { email: string; displayName: string }, chosen?: string): Promise<UserEntity> {
    // The repository is taken inside the transaction, so the insert runs on its connection.
    const save = (username: string) => this.db.transaction(() => this.db.repo(UserEntity).save(this.db.repo(UserEntity).create({ ...fields, username })));
    if (chosen !== undefined) {
      await this.assertAllowed(chosen);
      try {
        return await save(chosen);
      } catch (err) {
        if (isUniqueViolation(err, 'users_username_key')) throw IdentityErrors.usernameTaken();
        throw err;
      }
    }
    const base = usernameBase(fields.displayName);
    for (let attempt = 1; ; attempt++) {
      const username = await this.freeUsername(base);
      try {
        return await save(username);
      } catch (err) {
        if (attempt < 5 && isUniqueViolation(err, 'users_username_key')) continue;
        throw err;
      }
    }
  }

  /**
   * Who each handle (a mention's `@name`, any letter case) names, as lowercase handle -> user id: the
   * user whose username it is now; for a name nobody holds now, its most recent former holder (from
   * username_history), so a mention made before a rename keeps working. Display names are not handles.
   * Uses users_username_key and username_history_name_idx.
   */
  async usersByHandle(handles: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const keys = [...new Set(handles.map(usernameKey))];
    if (!keys.length) return out;
    const rows = await this.db.query<{ handle: string; id: string }>(
      `SELECT lower(username) AS handle, id FROM users WHERE lower(username) = ANY($1::text[])
       UNION ALL
       (SELECT DISTINCT ON (lower(h.username)) lower(h.username) AS handle, h.user_id AS id
          FROM username_history h
         WHERE lower(h.username) = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM users u WHERE lower(u.username) = lower(h.username))
         ORDER BY lower(h.username), h.changed_at DESC, h.id DESC)`,
      [keys],
    );
    for (const r of rows) if (!out.has(r.handle)) out.set(r.handle, r.id);
    return out;
  }

  /**
   * A public profile by id or by username (any letter case; a former username nobody holds now leads
   * to its last holder, as mentions do). Null for unknown and deleted accounts (a deleted account has
   * no username).
   */
  async userByIdOrUsername(idOrUsername: string): Promise<PublicProfile | null> {
    let id: string | undefined;
    if (isUuid(idOrUsername)) id = idOrUsername;
    else if (!usernameProblem(idOrUsername)) id = (await this.usersByHandle([idOrUsername])).get(usernameKey(idOrUsername));
    if (!id) return null;
    const [row] = await this.db.query<{ id: string; username: string | null; display_name: string; avatar_url: string | null; bio: string }>(
      'SELECT id, username, display_name, avatar_url, bio FROM users WHERE id = $1 AND username IS NOT NULL',
      [id],
    );
    return row ? { id: row.id, username: row.username!, displayName: row.display_name, avatarUrl: row.avatar_url, bio: row.bio } : null;
  }

  async avatarOwner(fileName: string): Promise<string | null> {
    const [row] = await this.db.query<{ id: string }>('SELECT id FROM users WHERE avatar_file = $1', [fileName]);
    return row?.id ?? null;
  }

  /** See IdentityService.updateProfile. Runs in the caller's transaction. */
  async update(userId: string, patch: ProfilePatch): Promise<Omit<ProfileChange, 'user'>> {
    const [current] = await this.db.query<{ username: string | null; display_name: string; bio: string; avatar_file: string | null; next_change_at: Date | null; may_change: boolean }>(
      `SELECT username, display_name, bio, avatar_file,
              username_changed_at + make_interval(days => $2) AS next_change_at,
              (username_changed_at IS NULL OR username_changed_at + make_interval(days => $2) <= now()) AS may_change
         FROM users WHERE id = $1 AND username IS NOT NULL FOR UPDATE`,
      [userId, USERNAME_CHANGE_DAYS],
    );
    if (!current) throw IdentityErrors.userNotFound();
    const changed: ProfileChange['changed'] = [];
    const sets: string[] = [];
    const params: unknown[] = [userId];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (patch.displayName !== undefined && patch.displayName !== current.display_name) {
      set('display_name', patch.displayName);
      changed.push('displayName');
    }
    if (patch.bio !== undefined && patch.bio !== current.bio) {
      set('bio', patch.bio);
      changed.push('bio');
    }
    if (patch.avatar) {
      set('avatar_file', patch.avatar.file);
      set('avatar_url', patch.avatar.url);
      changed.push('avatar');
    }
    const renamed = patch.username !== undefined && usernameKey(patch.username) !== usernameKey(current.username!);
    if (patch.username !== undefined && patch.username !== current.username) {
      await this.assertAllowed(patch.username);
      if (renamed && !current.may_change) throw IdentityErrors.usernameChangeTooSoon(new Date(current.next_change_at!));
      set('username', patch.username);
      if (renamed) sets.push('username_changed_at = now()');
      changed.push('username');
    }
    if (sets.length) {
      try {
        await this.db.transaction(() => this.db.query(`UPDATE users SET ${sets.join(', ')} WHERE id = $1`, params));
      } catch (err) {
        if (isUniqueViolation(err, 'users_username_key')) throw IdentityErrors.usernameTaken();
        throw err;
      }
      if (renamed) await this.db.query('INSERT INTO username_history (user_id, username) VALUES ($1, $2)', [userId, current.username]);
    }
    return {
      changed,
      previousUsername: changed.includes('username') ? current.username : null,
      previousAvatarFile: patch.avatar ? current.avatar_file : null,
    };
  }
}

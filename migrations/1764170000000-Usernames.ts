import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usernames and profiles (issue 20): `users.username` (unique without letter case), when it last
 * changed, a bio and the avatar file; `username_history` (a former name keeps resolving for
 * mentions while nobody else holds it); `post_mentions` (threads: who a post mentions, written with
 * the post, read by notifications). Display-name handles no longer resolve, so their index goes.
 *
 * Existing accounts get a username derived from their display name as registration derives one
 * (whitespace and unusable characters dropped, lowercase, at most 20 characters, `ada`, `ada1`...,
 * never a reserved name or a community slug), oldest accounts first. The derivation is copied here
 * rather than imported so that this migration does the same thing forever.
 */
export class Usernames1764170000000 implements MigrationInterface {
  name = 'Usernames1764170000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN username varchar(20)`);
    await q.query(`ALTER TABLE users ADD COLUMN username_changed_at timestamptz`);
    await q.query(`ALTER TABLE users ADD COLUMN bio varchar(500) NOT NULL DEFAULT ''`);
    await q.query(`ALTER TABLE users ADD COLUMN avatar_file varchar(64)`);
    await q.query(`CREATE UNIQUE INDEX users_username_key ON users (lower(username))`);
    await q.query(`CREATE UNIQUE INDEX users_avatar_file_key ON users (avatar_file) WHERE avatar_file IS NOT NULL`);
    await q.query(`DROP INDEX IF EXISTS users_handle_idx`);

    await q.query(`
      CREATE TABLE username_history (
        id bigserial PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        username varchar(20) NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX username_history_name_idx ON username_history (lower(username), changed_at DESC)`);
    await q.query(`CREATE INDEX username_history_user_idx ON username_history (user_id)`);

    await q.query(`
      CREATE TABLE post_mentions (
        post_id uuid NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        PRIMARY KEY (post_id, user_id)
      )`);
    await q.query(`CREATE INDEX post_mentions_user_idx ON post_mentions (user_id)`);

    await this.assignUsernames(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE post_mentions, username_history`);
    await q.query(`DROP INDEX users_avatar_file_key`);
    await q.query(`DROP INDEX users_username_key`);
    await q.query(`ALTER TABLE users DROP COLUMN avatar_file, DROP COLUMN bio, DROP COLUMN username_changed_at, DROP COLUMN username`);
    await q.query(`CREATE INDEX users_handle_idx ON users ((lower(regexp_replace(display_name, '\\s', '', 'g'))))`);
  }

  private async assignUsernames(q: QueryRunner): Promise<void> {
    const users: Array<{ id: string; display_name: string }> = await q.query(`SELECT id, display_name FROM users WHERE username IS NULL ORDER BY created_at, id`);
    if (!users.length) return;
    const slugs: Array<{ slug: string }> = await q.query(`SELECT slug FROM communities`);
    const held: Array<{ k: string }> = await q.query(`SELECT lower(username) AS k FROM users WHERE username IS NOT NULL`);
    const taken = new Set<string>([...RESERVED, ...slugs.map((s) => s.slug.toLowerCase()), ...held.map((h) => h.k)]);
    const next = new Map<string, number>();
    const ids: string[] = [];
    const names: string[] = [];
    for (const u of users) {
      const base = baseOf(u.display_name);
      let n = next.get(base) ?? 0;
      let name = candidate(base, n);
      while (taken.has(name)) name = candidate(base, ++n);
      next.set(base, n + 1);
      taken.add(name);
      ids.push(u.id);
      names.push(name);
    }
    for (let i = 0; i < ids.length; i += 500) {
      await q.query(
        `UPDATE users u SET username = v.username FROM (SELECT unnest($1::uuid[]) AS id, unnest($2::text[]) AS username) v WHERE u.id = v.id`,
        [ids.slice(i, i + 500), names.slice(i, i + 500)],
      );
    }
  }
}

const RESERVED = ['admin', 'administrator', 'staff', 'support', 'moderator', 'moderators', 'system', 'deleted', 'me', 'everyone', 'here'];

const isWord = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '_';
const isPunct = (c: string) => c === '.' || c === '-';

function baseOf(displayName: string): string {
  let out = '';
  for (const c of displayName.normalize('NFKD')) {
    if (out.length >= 20) break;
    if (isWord(c)) out += c.toLowerCase();
    else if (isPunct(c) && out.length > 0 && !isPunct(out[out.length - 1])) out += c;
  }
  while (out.length && isPunct(out[out.length - 1])) out = out.slice(0, -1);
  return out.length < 3 ? 'member' : out;
}

function candidate(base: string, n: number): string {
  if (n === 0) return base;
  const suffix = String(n);
  let head = base.slice(0, 20 - suffix.length);
  while (head.length && isPunct(head[head.length - 1])) head = head.slice(0, -1);
  return head + suffix;
}

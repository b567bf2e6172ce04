import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { Actor, CommunityContext, CommunityRoleResolver } from '../core/auth/actor';
import { Role, roleAtLeast } from '../core/auth/roles';
import { Db, isUniqueViolation } from '../core/database/db.service';
import { CommonErrors } from '../core/errors/app-error';
import { EventsService } from '../core/events/events.service';
import { DEFAULT_PAGE_SIZE, Page } from '../core/pagination/pagination';
import { cursorKind, Cursors } from '../core/pagination/cursors';
import { CommunityPolicy } from '../core/policy/community-policy';

/** Members by joining time (PostgreSQL's text of it, to the microsecond), then id. */
const MEMBERS_CURSOR = cursorKind<[string, string]>('members', 'timestamp', 'uuid');
import { containsPattern, IdentityService } from '../identity/identity.service';
import { UserView } from '../identity/dto/auth.dto';
import { CommunitiesErrors } from './communities.errors';
import { CommunityEntity, MembershipEntity } from './community.entity';
import { CommunitySettings, resolveSettings, UpdateCommunitySettingsDto } from './community-settings';
import { CommunityView, MembershipView, MyMembershipView } from './dto/communities.dto';

export function toCommunityView(c: CommunityEntity): CommunityView {
  return { id: c.id, slug: c.slug, name: c.name, description: c.description, createdAt: c.createdAt.toISOString() };
}

/** Settings are read on every post; cached 5 s in process (changes here invalidate at once). */
const SETTINGS_CACHE_TTL_MS = 5_000;

@Injectable()
export class CommunitiesService implements CommunityRoleResolver {
  /** At most 10,000 communities' settings and 4 MB. */
  /** A community's id by its slug (slugs never change; kept a minute, so a deleted community is forgotten soon). */
  private readonly idsBySlug = new LRUCache<string, string>({ max: 10_000, ttl: 60_000 });
  private readonly settingsCache = new LRUCache<string, CommunitySettings>({
    max: 10_000,
    maxSize: 4 * 1024 * 1024,
    sizeCalculation: (s) => 64 + 40 * Object.keys(s).length,
    ttl: SETTINGS_CACHE_TTL_MS,
  });

  constructor(
    private readonly db: Db,
    private readonly events: EventsService,
    private readonly identity: IdentityService,
    private readonly cursors: Cursors,
    private readonly policy: CommunityPolicy,
  ) {
    // A username may not equal a community slug (a new slug equal to a taken username is fine).
    identity.reserveNames(async (keys) => {
      const rows = await this.db.query<{ slug: string }>('SELECT slug FROM communities WHERE slug = ANY($1::text[])', [keys]);
      return new Set(rows.map((r) => r.slug));
    });
  }

  /** Platform admins only. The creator becomes the community's first admin. */
  async create(actor: Actor, input: { slug: string; name: string; description?: string }): Promise<CommunityView> {
    if (!actor.isPlatformAdmin) throw CommunitiesErrors.platformAdminOnly();
    try {
      return await this.db.transaction(async () => {
        const community = await this.db.repo(CommunityEntity).save(
          this.db.repo(CommunityEntity).create({
            slug: input.slug,
            name: input.name,
            description: input.description ?? '',
            settings: {},
            createdBy: actor.userId,
          }),
        );
        await this.addMember(community.id, actor.userId, 'admin');
        return toCommunityView(community);
      });
    } catch (err) {
      if (isUniqueViolation(err, 'communities_slug_key')) throw CommunitiesErrors.slugTaken(input.slug);
      throw err;
    }
  }

  /** The id of the community with this slug, or null (cached: for reads on every page, such as the Chat link's count). */
  async idOfSlug(slug: string): Promise<string | null> {
    const cached = this.idsBySlug.get(slug);
    if (cached) return cached;
    const [row] = await this.db.query<{ id: string }>('SELECT id FROM communities WHERE slug = $1', [slug]);
    if (row) this.idsBySlug.set(slug, row.id);
    return row?.id ?? null;
  }

  async getBySlug(slug: string): Promise<CommunityView> {
    return toCommunityView(await this.findBySlug(slug));
  }

  /** Joins as a member. Joining again is not an error: it answers the existing membership (created: false). */
  async join(actor: Actor, slug: string): Promise<{ membership: MembershipView; created: boolean }> {
    const community = await this.findBySlug(slug);
    return this.db.transaction(async () => {
      const inserted = await this.addMember(community.id, actor.userId, 'member');
      const membership = inserted ?? (await this.db.repo(MembershipEntity).findOneByOrFail({ communityId: community.id, userId: actor.userId }));
      const users = await this.identity.getUsers([actor.userId]);
      return { membership: this.toMembershipView(membership, users), created: inserted !== null };
    });
  }

  async listMembers(community: CommunityContext, query: { role?: Role; q?: string; limit?: number; cursor?: string }): Promise<Page<MembershipView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = this.cursors.decode(MEMBERS_CURSOR, query.cursor);
    const params: unknown[] = [community.id, limit + 1];
    let where = 'community_id = $1';
    if (query.role) {
      params.push(query.role);
      where += ` AND role = $${params.length}`;
    }
    if (query.q) {
      params.push(containsPattern(query.q));
      where += ` AND ${this.identity.userMatchesSql('user_id', `$${params.length}`)}`;
    }
    if (after) {
      params.push(after[0], after[1]);
      where += ` AND (joined_at, user_id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
    }
    // The cursor keeps joined_at as PostgreSQL's own text (microseconds), not a JS Date (milliseconds).
    const rows = await this.db.query<{ user_id: string; role: Role; joined_at: Date; joined_key: string }>(
      `SELECT user_id, role, joined_at, joined_at::text AS joined_key FROM memberships WHERE ${where} ORDER BY joined_at, user_id LIMIT $2`,
      params,
    );
    const users = await this.identity.getUsers(rows.map((r) => r.user_id));
    // Moderators see each member's trust level (moderation's, through CommunityPolicy).
    const trust = roleAtLeast(community.role, 'moderator') ? await this.policy.trustOf(community.id, rows.slice(0, limit).map((r) => r.user_id)) : null;
    return this.cursors.page(
      MEMBERS_CURSOR,
      rows,
      limit,
      (r) => {
        const view = this.toMembershipView({ userId: r.user_id, role: r.role, joinedAt: new Date(r.joined_at) }, users);
        const level = trust?.get(r.user_id);
        return level ? { ...view, trust: level } : view;
      },
      (r) => [r.joined_key, r.user_id],
    );
  }

  /**
   * Admins change roles of existing members. A platform admin may set anyone's role anywhere,
   * which creates the membership. The last admin of a community cannot be demoted.
   */
  async setRole(actor: Actor, community: CommunityContext, userId: string, role: Role): Promise<MembershipView> {
    return this.db.transaction(async () => {
      // Lock the admin rows so two concurrent demotions cannot both pass the last-admin check.
      const admins = await this.db.query<{ user_id: string }>(
        `SELECT user_id FROM memberships WHERE community_id = $1 AND role = 'admin' FOR UPDATE`,
        [community.id],
      );
      const [current] = await this.db.query<{ role: Role }>(
        'SELECT role FROM memberships WHERE community_id = $1 AND user_id = $2 FOR UPDATE',
        [community.id, userId],
      );
      let membership: MembershipEntity;
      if (!current) {
        if (!actor.isPlatformAdmin) throw CommunitiesErrors.memberNotFound();
        if (!(await this.identity.userExists(userId))) throw CommunitiesErrors.userNotFound();
        membership = (await this.addMember(community.id, userId, role))!;
      } else {
        if (current.role === 'admin' && role !== 'admin' && admins.length <= 1) throw CommunitiesErrors.lastAdmin();
        if (current.role !== role) {
          await this.db.query('UPDATE memberships SET role = $3 WHERE community_id = $1 AND user_id = $2', [community.id, userId, role]);
          await this.events.record(
            'member.role_changed',
            { communityId: community.id, userId, role, previousRole: current.role, changedBy: actor.userId },
            community.id,
          );
        }
        membership = await this.db.repo(MembershipEntity).findOneByOrFail({ communityId: community.id, userId });
      }
      return this.toMembershipView(membership, await this.identity.getUsers([userId]));
    });
  }

  async getSettings(communityId: string): Promise<CommunitySettings> {
    const cached = this.settingsCache.get(communityId);
    if (cached) return cached;
    const [row] = await this.db.query<{ settings: Record<string, unknown> }>('SELECT settings FROM communities WHERE id = $1', [communityId]);
    if (!row) throw CommunitiesErrors.notFound();
    const settings = resolveSettings(row.settings);
    this.settingsCache.set(communityId, settings);
    return settings;
  }

  /**
   * Merges the given settings atomically (one UPDATE), so concurrent PATCHes of different settings both
   * stick; settings.changed (before and after, for the audit log) commits with it.
   */
  async updateSettings(communityId: string, patch: UpdateCommunitySettingsDto, by?: string): Promise<CommunitySettings> {
    const changes = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const settings = await this.db.transaction(async () => {
      const [row] = await this.db.query<{ settings: Record<string, unknown>; before: Record<string, unknown> }>(
        `UPDATE communities c SET settings = c.settings || $2::jsonb FROM (SELECT settings FROM communities WHERE id = $1 FOR UPDATE) old
          WHERE c.id = $1 RETURNING c.settings, old.settings AS before`,
        [communityId, JSON.stringify(changes)],
      );
      if (!row) throw CommunitiesErrors.notFound();
      const [before, after] = [resolveSettings(row.before), resolveSettings(row.settings)];
      const changed = Object.keys(after).filter((k) => before[k as keyof CommunitySettings] !== after[k as keyof CommunitySettings]);
      if (changed.length && by) {
        const pick = (s: CommunitySettings) => Object.fromEntries(changed.map((k) => [k, s[k as keyof CommunitySettings]]));
        await this.events.record('settings.changed', { communityId, by, before: pick(before), after: pick(after) }, communityId);
      }
      return after;
    });
    this.settingsCache.delete(communityId);
    return settings;
  }

  /** The caller's role in a community (platform admins: admin), or null. For the guard and for other modules. */
  async roleOf(actor: Actor | null, communityId: string): Promise<Role | null> {
    if (!actor) return null;
    if (actor.isPlatformAdmin) return 'admin';
    const [row] = await this.db.query<{ role: Role }>('SELECT role FROM memberships WHERE community_id = $1 AND user_id = $2', [
      communityId,
      actor.userId,
    ]);
    return row?.role ?? null;
  }

  /**
   * SQL for the membership role of the user in parameter `userParam` (a uuid, or NULL for a guest) in the
   * community `communityIdSql`: lets a service read the caller's role in the same query as the row that
   * names the community, instead of a second round trip. Pass the result through effectiveRole().
   */
  membershipRoleSql(communityIdSql: string, userParam: string): string {
    return `(SELECT m.role FROM memberships m WHERE m.community_id = ${communityIdSql} AND m.user_id = ${userParam}::uuid)`;
  }

  /** The caller's role given their membership role (as membershipRoleSql read it): the platform admin is admin everywhere. */
  effectiveRole(actor: Actor | null, membershipRole: Role | null): Role | null {
    if (!actor) return null;
    return actor.isPlatformAdmin ? 'admin' : membershipRole;
  }

  /** For routes addressed by another resource's id: throws 403 unless the caller holds `minimum` there. */
  async requireRole(actor: Actor | null, communityId: string, minimum: Role): Promise<Role> {
    if (!actor) throw CommonErrors.unauthenticated();
    const role = await this.roleOf(actor, communityId);
    if (!roleAtLeast(role, minimum)) throw role ? CommonErrors.forbidden(`This requires the ${minimum} role in this community`) : CommunitiesErrors.notMember();
    return role!;
  }

  /** The caller's membership (role and when they joined), or null. */
  async membership(communityId: string, userId: string): Promise<{ role: Role; joinedAt: Date } | null> {
    const [row] = await this.db.query<{ role: Role; joined_at: Date }>(
      'SELECT role, joined_at FROM memberships WHERE community_id = $1 AND user_id = $2',
      [communityId, userId],
    );
    return row ? { role: row.role, joinedAt: new Date(row.joined_at) } : null;
  }

  /** Memberships of some users (role and when they joined), by user id; non-members are left out. */
  async memberships(communityId: string, userIds: string[]): Promise<Map<string, { role: Role; joinedAt: Date }>> {
    if (!userIds.length) return new Map();
    const rows = await this.db.query<{ user_id: string; role: Role; joined_at: Date }>(
      'SELECT user_id, role, joined_at FROM memberships WHERE community_id = $1 AND user_id = ANY($2::uuid[])',
      [communityId, userIds],
    );
    return new Map(rows.map((r) => [r.user_id, { role: r.role, joinedAt: new Date(r.joined_at) }]));
  }

  /**
   * Members that `handles` name, for @mentions, as lowercase handle -> user id. A handle is a username
   * (any letter case), or a former one nobody holds now (IdentityService.usersByHandle); it counts when
   * the user it names is a member of the community. Display names are not handles.
   */
  async membersByHandle(communityId: string, handles: string[]): Promise<Map<string, string>> {
    const users = await this.identity.usersByHandle(handles);
    if (!users.size) return new Map();
    const members = await this.db.query<{ user_id: string }>(
      'SELECT user_id FROM memberships WHERE community_id = $1 AND user_id = ANY($2::uuid[])',
      [communityId, [...new Set(users.values())]],
    );
    const memberIds = new Set(members.map((m) => m.user_id));
    return new Map([...users].filter(([, id]) => memberIds.has(id)));
  }

  async resolve(slug: string, actor: Actor | null): Promise<CommunityContext | null> {
    const [row] = await this.db.query<{ id: string; slug: string; role: Role | null }>(
      `SELECT c.id, c.slug, m.role FROM communities c
         LEFT JOIN memberships m ON m.community_id = c.id AND m.user_id = $2
        WHERE c.slug = $1`,
      [slug, actor?.userId ?? null],
    );
    if (!row) return null;
    if (actor?.isPlatformAdmin) return { id: row.id, slug: row.slug, role: 'admin' };
    // Sanctions (answered from memory): a banned member is refused (403 BANNED); a suspended one reads as a guest.
    if (actor && row.role && !(await this.policy.allows(row.id, actor.userId, 'read'))) {
      await this.policy.assertMay(row.id, actor.userId, 'view');
      return { id: row.id, slug: row.slug, role: null };
    }
    return { id: row.id, slug: row.slug, role: row.role };
  }

  async myMemberships(userId: string): Promise<MyMembershipView[]> {
    const rows = await this.db.query<{ id: string; slug: string; name: string; description: string; created_at: Date; role: Role }>(
      `SELECT c.id, c.slug, c.name, c.description, c.created_at, m.role
         FROM memberships m JOIN communities c ON c.id = m.community_id
        WHERE m.user_id = $1 ORDER BY m.joined_at, c.id`,
      [userId],
    );
    return rows.map((r) => ({
      community: { id: r.id, slug: r.slug, name: r.name, description: r.description, createdAt: new Date(r.created_at).toISOString() },
      role: r.role,
    }));
  }

  /** Communities by name (the web pages' home lists them), at most `limit`. */
  async list(limit: number): Promise<CommunityView[]> {
    const rows = await this.db.query<{ id: string; slug: string; name: string; description: string; created_at: Date }>(
      'SELECT id, slug, name, description, created_at FROM communities ORDER BY name, id LIMIT $1',
      [limit],
    );
    return rows.map((r) => ({ id: r.id, slug: r.slug, name: r.name, description: r.description, createdAt: new Date(r.created_at).toISOString() }));
  }

  /** A community by id (the web pages name a thread's community). */
  async getById(id: string): Promise<CommunityView> {
    const community = await this.db.repo(CommunityEntity).findOneBy({ id });
    if (!community) throw CommunitiesErrors.notFound();
    return toCommunityView(community);
  }

  private async findBySlug(slug: string): Promise<CommunityEntity> {
    const community = await this.db.repo(CommunityEntity).findOneBy({ slug });
    if (!community) throw CommunitiesErrors.notFound();
    return community;
  }

  /** Joins a user as a member on another module's behalf (store single sign-on), in the caller's transaction; false when already a member. */
  async joinAsMember(communityId: string, userId: string): Promise<boolean> {
    return (await this.addMember(communityId, userId, 'member')) !== null;
  }

  /** Inserts a membership and records member.joined; null when it already existed. Runs in the caller's transaction. */
  private async addMember(communityId: string, userId: string, role: Role): Promise<MembershipEntity | null> {
    const [row] = await this.db.query<{ joined_at: Date }>(
      `INSERT INTO memberships (community_id, user_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (community_id, user_id) DO NOTHING RETURNING joined_at`,
      [communityId, userId, role],
    );
    if (!row) return null;
    await this.events.record('member.joined', { communityId, userId, role }, communityId);
    return Object.assign(new MembershipEntity(), { communityId, userId, role, joinedAt: new Date(row.joined_at) });
  }

  private toMembershipView(m: Pick<MembershipEntity, 'userId' | 'role' | 'joinedAt'>, users: Map<string, UserView>): MembershipView {
    const user = users.get(m.userId) ?? { id: m.userId, username: null, displayName: '(deleted)', avatarUrl: null };
    return { user, role: m.role, joinedAt: new Date(m.joinedAt).toISOString() };
  }
}

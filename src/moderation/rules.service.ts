import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { Actor, CommunityContext } from '../core/auth/actor';
import { roleAtLeast } from '../core/auth/roles';
import { Db } from '../core/database/db.service';
import { ScreenedKind, ScreenVerdict } from '../core/policy/community-policy';
import { CommunitiesService } from '../communities/communities.service';
import { ModeratedContentService } from '../threads/moderated-content.service';
import { AuditService } from './audit.service';
import { ModerationRulesDto } from './dto/moderation.dto';
import { ModerationErrors } from './moderation.errors';
import { TrustService } from './trust.service';
import { CompiledRules, parsePattern, WatchedWord } from './watched-words';

interface Rules {
  watchedWords: WatchedWord[];
  queueNewMemberFirstPost: boolean;
  /** A digest of the two fields above (see versionOf): what PUT's optional `version` is compared with. */
  version: string;
}

/** The rules' version: a digest of their content, so equal rules have equal versions (no column to keep). */
export function versionOf(watchedWords: WatchedWord[], queueNewMemberFirstPost: boolean): string {
  const canonical = JSON.stringify([watchedWords.map((w) => [w.pattern, w.action]), queueNewMemberFirstPost]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
}

interface CompiledCommunityRules {
  rules: CompiledRules;
  queueNewMemberFirstPost: boolean;
}

/** Rules are read on every post: compiled once per change, cached 5 s (a change here drops them at once). */
const RULES_CACHE_TTL_MS = 5_000;
export const FIRST_POST_RULE = 'first post of a new member';

/**
 * Automod rules per community (admins): watched words and phrases with block / queue / flag, and
 * holding a new member's first post. `screen` is CommunityPolicy's screen: staff, moderators and admins
 * are exempt (as from cooldowns).
 */
@Injectable()
export class RulesService {
  /** At most 2,000 communities' compiled rules and about 32 MB (1,000 rules of 100 characters is ~300 kB). */
  private readonly compiled = new LRUCache<string, CompiledCommunityRules>({
    max: 2_000,
    maxSize: 32 * 1024 * 1024,
    sizeCalculation: (c) => 256 + 300 * c.rules.size,
    ttl: RULES_CACHE_TTL_MS,
  });

  constructor(
    private readonly db: Db,
    private readonly communities: CommunitiesService,
    private readonly content: ModeratedContentService,
    private readonly trust: TrustService,
    private readonly audit: AuditService,
  ) {}

  async get(communityId: string): Promise<Rules> {
    const [row] = await this.db.query<{ watched_words: WatchedWord[]; queue_new_member_first_post: boolean }>(
      'SELECT watched_words, queue_new_member_first_post FROM moderation_rules WHERE community_id = $1',
      [communityId],
    );
    const watchedWords = row?.watched_words ?? [];
    const queueNewMemberFirstPost = row?.queue_new_member_first_post ?? false;
    return { watchedWords, queueNewMemberFirstPost, version: versionOf(watchedWords, queueNewMemberFirstPost) };
  }

  /**
   * Replaces the rules (validated: each pattern must parse; no duplicates), with a before/after audit
   * entry. With `dto.version`, only if the rules are still that version (409 RULES_CHANGED otherwise,
   * checked under the row's lock, so of two admins saving from the same version one wins and the
   * other is told).
   */
  async put(actor: Actor, community: CommunityContext, dto: ModerationRulesDto): Promise<Rules> {
    const seen = new Set<string>();
    const watchedWords = dto.watchedWords.map((w, i) => {
      const pattern = w.pattern.trim();
      const parsed = parsePattern(pattern);
      if (typeof parsed === 'string') throw ModerationErrors.badRule(i, parsed);
      const key = pattern.toLowerCase();
      if (seen.has(key)) throw ModerationErrors.badRule(i, 'duplicate pattern');
      seen.add(key);
      return { pattern, action: w.action };
    });
    const rules = { watchedWords, queueNewMemberFirstPost: dto.queueNewMemberFirstPost, version: versionOf(watchedWords, dto.queueNewMemberFirstPost) };
    await this.db.transaction(async () => {
      // A community without a row yet: lock the community's rules by creating the row (as it is), so the
      // version check below holds for the first save too.
      await this.db.query('INSERT INTO moderation_rules (community_id) VALUES ($1) ON CONFLICT DO NOTHING', [community.id]);
      const [before] = await this.db.query<{ watched_words: WatchedWord[]; queue_new_member_first_post: boolean }>(
        'SELECT watched_words, queue_new_member_first_post FROM moderation_rules WHERE community_id = $1 FOR UPDATE',
        [community.id],
      );
      const current = versionOf(before.watched_words, before.queue_new_member_first_post);
      if (dto.version !== undefined && dto.version !== current) throw ModerationErrors.rulesChanged(current);
      await this.db.query(
        `INSERT INTO moderation_rules (community_id, watched_words, queue_new_member_first_post, updated_by, updated_at)
         VALUES ($1, $2::jsonb, $3, $4, now())
         ON CONFLICT (community_id) DO UPDATE SET watched_words = EXCLUDED.watched_words,
           queue_new_member_first_post = EXCLUDED.queue_new_member_first_post, updated_by = EXCLUDED.updated_by, updated_at = now()`,
        [community.id, JSON.stringify(watchedWords), rules.queueNewMemberFirstPost, actor.userId],
      );
      await this.audit.record({
        communityId: community.id,
        actorId: actor.userId,
        action: 'rules.changed',
        targetType: 'community',
        targetId: community.id,
        before: { watchedWords: before.watched_words, queueNewMemberFirstPost: before.queue_new_member_first_post },
        after: { watchedWords, queueNewMemberFirstPost: dto.queueNewMemberFirstPost },
      });
    });
    this.compiled.delete(community.id);
    return rules;
  }

  /**
   * CommunityPolicy.screen: a `block` match is 422 CONTENT_BLOCKED (nothing stored); otherwise the
   * strongest of queue and flag, and a new member's first post is queued when the community asks for it.
   */
  async screen(communityId: string, userId: string, kind: ScreenedKind, text: { title?: string; body: string }): Promise<ScreenVerdict> {
    const rules = await this.compiledFor(communityId);
    if (!rules.rules.size && !rules.queueNewMemberFirstPost) return { action: 'publish', matched: [] };
    const membership = await this.communities.membership(communityId, userId);
    if (roleAtLeast(membership?.role, 'staff')) return { action: 'publish', matched: [] };
    const matches = [...(text.title ? rules.rules.match(text.title) : []), ...rules.rules.match(text.body)];
    const blocked = matches.find((m) => m.action === 'block');
    if (blocked) throw ModerationErrors.blocked(blocked.pattern);
    const matched = [...new Set(matches.map((m) => m.pattern))];
    let action: ScreenVerdict['action'] = matches.some((m) => m.action === 'queue') ? 'queue' : matches.length ? 'flag' : 'publish';
    if (action !== 'queue' && rules.queueNewMemberFirstPost && kind !== 'message' && (await this.isNewMembersFirstPost(communityId, userId))) {
      action = 'queue';
      matched.push(FIRST_POST_RULE);
    }
    return { action, matched };
  }

  private async isNewMembersFirstPost(communityId: string, userId: string): Promise<boolean> {
    if ((await this.trust.level(communityId, userId)) !== 'new') return false;
    return ((await this.content.publishedPostCounts(communityId, [userId], 1)).get(userId) ?? 0) === 0;
  }

  private async compiledFor(communityId: string): Promise<CompiledCommunityRules> {
    const cached = this.compiled.get(communityId);
    if (cached) return cached;
    const rules = await this.get(communityId);
    const compiled = { rules: new CompiledRules(rules.watchedWords), queueNewMemberFirstPost: rules.queueNewMemberFirstPost };
    this.compiled.set(communityId, compiled);
    return compiled;
  }
}

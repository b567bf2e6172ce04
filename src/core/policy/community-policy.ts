import { Injectable } from '@nestjs/common';
import { AppError } from '../errors/app-error';

/**
 * What a member does in a community that a sanction may stop. `read` covers members-only boards
 * and chat history (a suspension stops it; a ban stops everything); `view` is any read of the
 * community with the member's token, public boards too (only a ban stops it).
 */
export type Activity = 'post' | 'react' | 'vote' | 'report' | 'chat' | 'redeem' | 'read' | 'view';

/** What automatic rules make of a piece of text before it is stored. */
export type ScreenAction = 'publish' | 'queue' | 'flag';
export interface ScreenVerdict {
  action: ScreenAction;
  /** The rules (patterns) that matched, for the review queue. */
  matched: string[];
}
export type ScreenedKind = 'thread' | 'post' | 'message';

/** How far the community trusts a member (moderation's trust levels; weighs their reports). */
export type TrustLevel = 'new' | 'member' | 'staff';

/** Content a writer stored under a `queue` or `flag` verdict: the provider puts it in the review queue. */
export interface ScreenedContent {
  kind: ScreenedKind;
  /** The post (thread: its first post) or chat message. */
  targetId: string;
  authorId: string;
  verdict: ScreenVerdict;
}

/** Who asks to see a report target. */
export interface TargetViewer {
  userId: string;
  isPlatformAdmin: boolean;
}

/**
 * A kind of reportable content owned by another module (chat messages: registered by chat). `load`
 * answers null when the viewer cannot see it (a report then answers 404; a null viewer is a moderator
 * of the item's community); `hide`, `restore` and `remove` run inside moderation's resolve transaction.
 */
export interface ReportTargetResolver {
  load(targetId: string, viewer: TargetViewer | null): Promise<{ communityId: string; authorId: string; view: unknown } | null>;
  /** by null: hidden automatically (reports reached flagsToHide). */
  hide?(targetId: string, by: string | null, reason: string): Promise<void>;
  /** Shows it again (a dismissed report, an approved held message). */
  restore?(targetId: string, by: string): Promise<void>;
  remove?(targetId: string, by: string): Promise<void>;
}

/**
 * A module that decides whether members may act (moderation: sanctions, watched words). Registered
 * at start-up; the modules that write (threads, qa, chat, loyalty) call CommunityPolicy, never the
 * provider's module, so the provider can depend on them without a cycle.
 */
export interface CommunityPolicyProvider {
  /** Throws an AppError (403 SILENCED / SUSPENDED / BANNED...) when the member may not do this now. */
  assertMay?(communityId: string, userId: string, activity: Activity): Promise<void>;
  /** Throws 422 CONTENT_BLOCKED for blocked text; otherwise says whether it is published, queued or flagged. */
  screen?(communityId: string, userId: string, kind: ScreenedKind, text: { title?: string; body: string }): Promise<ScreenVerdict>;
  /** Called in the writer's transaction after it stored content screened `queue` or `flag`. */
  screened?(communityId: string, content: ScreenedContent): Promise<void>;
  /** Trust levels of some members (for the members list shown to moderators). */
  trustOf?(communityId: string, userIds: string[]): Promise<Map<string, TrustLevel>>;
}

/**
 * The one call every write path makes before it writes (`assertMay`) and before it stores text
 * (`screen`, then `screened` for what is held or flagged). With no provider registered everything is
 * allowed and published.
 */
@Injectable()
export class CommunityPolicy {
  private readonly providers: CommunityPolicyProvider[] = [];
  private readonly targets = new Map<string, ReportTargetResolver>();

  register(provider: CommunityPolicyProvider): void {
    this.providers.push(provider);
  }

  async assertMay(communityId: string, userId: string, activity: Activity): Promise<void> {
    for (const p of this.providers) if (p.assertMay) await p.assertMay(communityId, userId, activity);
  }

  /** assertMay as a boolean: false when a provider refuses with a 403. */
  async allows(communityId: string, userId: string, activity: Activity): Promise<boolean> {
    try {
      await this.assertMay(communityId, userId, activity);
      return true;
    } catch (err) {
      if (err instanceof AppError && err.status === 403) return false;
      throw err;
    }
  }

  async screen(communityId: string, userId: string, kind: ScreenedKind, text: { title?: string; body: string }): Promise<ScreenVerdict> {
    const verdict: ScreenVerdict = { action: 'publish', matched: [] };
    const rank: Record<ScreenAction, number> = { publish: 0, flag: 1, queue: 2 };
    for (const p of this.providers) {
      if (!p.screen) continue;
      const v = await p.screen(communityId, userId, kind, text);
      if (rank[v.action] > rank[verdict.action]) verdict.action = v.action;
      verdict.matched.push(...v.matched);
    }
    return verdict;
  }

  async screened(communityId: string, content: ScreenedContent): Promise<void> {
    if (content.verdict.action === 'publish') return;
    for (const p of this.providers) if (p.screened) await p.screened(communityId, content);
  }

  async trustOf(communityId: string, userIds: string[]): Promise<Map<string, TrustLevel> | null> {
    for (const p of this.providers) if (p.trustOf) return p.trustOf(communityId, userIds);
    return null;
  }

  /** A module that owns reportable content (chat: `message`) registers how to find, hide and remove it. */
  registerReportTarget(type: string, resolver: ReportTargetResolver): void {
    this.targets.set(type, resolver);
  }

  reportTarget(type: string): ReportTargetResolver | undefined {
    return this.targets.get(type);
  }
}

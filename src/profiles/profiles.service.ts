import { Injectable } from '@nestjs/common';
import { Actor } from '../core/auth/actor';
import { Db } from '../core/database/db.service';
import { CommonErrors } from '../core/errors/app-error';
import { EventsService } from '../core/events/events.service';
import { CommunitiesService } from '../communities/communities.service';
import { IdentityService, ProfileChange } from '../identity/identity.service';
import { AttachmentsService } from '../threads/attachments.service';
import { ThreadsService } from '../threads/threads.service';
import { MemberProfileView, ProfileMeView, ProfileView, UpdateProfileDto } from './dto/profiles.dto';
import { ProfilesErrors } from './profiles.errors';

/**
 * Profiles (issue 20): the member edits their own (identity keeps the account, threads makes the
 * avatar from one of their uploads), anyone reads a public profile, and a community's member profile
 * adds the role, the join date and what the member wrote there that the caller may read. Identity
 * cannot import threads (threads imports identity), so the orchestration lives here.
 */
@Injectable()
export class ProfilesService {
  constructor(
    private readonly db: Db,
    private readonly events: EventsService,
    private readonly identity: IdentityService,
    private readonly communities: CommunitiesService,
    private readonly threads: ThreadsService,
    private readonly attachments: AttachmentsService,
  ) {}

  /**
   * One transaction changes the account and records `user.profile_changed` (and
   * `user.username_changed`). Once it commits, every instance drops its cached user views and the
   * pages that show them (a new display name shows on the next guest read), and a replaced avatar's
   * file is removed. The new avatar file is made first and removed again if the edit fails.
   */
  async update(actor: Actor, dto: UpdateProfileDto): Promise<ProfileMeView> {
    // Absent means "unchanged"; null is not a value of any of these (class-validator's IsOptional lets it through).
    const nulls = (['displayName', 'username', 'bio', 'avatarUploadId'] as const).filter((field) => dto[field] === null);
    if (nulls.length) throw CommonErrors.validation(nulls.map((field) => ({ field, message: `${field} may not be null` })));
    const avatar = dto.avatarUploadId ? await this.attachments.avatarFromUpload(actor, dto.avatarUploadId) : undefined;
    let change: ProfileChange;
    try {
      change = await this.db.transaction(async () => {
        const result = await this.identity.updateProfile(actor.userId, { displayName: dto.displayName, username: dto.username, bio: dto.bio, avatar });
        if (result.changed.length) {
          await this.events.record('user.profile_changed', { userId: actor.userId, changed: result.changed });
        }
        if (result.changed.includes('username')) {
          await this.events.record('user.username_changed', { userId: actor.userId, username: result.user.username!, previousUsername: result.previousUsername });
        }
        return result;
      });
    } catch (err) {
      if (avatar) await this.attachments.removeAvatarFile(avatar.file);
      throw err;
    }
    if (change.changed.length) this.identity.profileChanged();
    if (change.previousAvatarFile) await this.attachments.removeAvatarFile(change.previousAvatarFile);
    return { user: change.user, memberships: await this.communities.myMemberships(actor.userId) };
  }

  async profile(idOrUsername: string): Promise<ProfileView> {
    const profile = await this.identity.userByIdOrUsername(idOrUsername);
    if (!profile) throw ProfilesErrors.userNotFound();
    return profile;
  }

  /**
   * A member as the caller (a guest: null) sees them in a community: public, like the community
   * (a banned caller is refused as everywhere in it). Counts follow what the caller may read.
   */
  async member(actor: Actor | null, slug: string, userId: string): Promise<MemberProfileView> {
    const community = await this.communities.resolve(slug, actor);
    if (!community) throw ProfilesErrors.communityNotFound();
    const membership = await this.communities.membership(community.id, userId);
    if (!membership) throw ProfilesErrors.memberNotFound();
    const user = await this.identity.userByIdOrUsername(userId);
    if (!user) throw ProfilesErrors.memberNotFound();
    const counts = await this.threads.memberActivityCounts(community.id, userId, community.role);
    return { user, role: membership.role, joinedAt: membership.joinedAt.toISOString(), counts };
  }
}

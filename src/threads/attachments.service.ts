import { randomBytes } from 'node:crypto';
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { Actor } from '../core/auth/actor';
import { Role, roleAtLeast } from '../core/auth/roles';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { Db } from '../core/database/db.service';
import { AppError, CommonErrors } from '../core/errors/app-error';
import { Limiter, RateLimitService } from '../core/rate-limit/rate-limit.service';
import { BoardsService } from '../boards/boards.service';
import { CommunitiesService } from '../communities/communities.service';
import { AttachmentView } from './dto/threads.dto';
import { IdentityService } from '../identity/identity.service';
import { ImageRejectedError, processImage, squareAvatar } from './images';
import { ThreadsErrors } from './threads.errors';

export interface AttachmentRow {
  id: string;
  post_id: string | null;
  uploader_id: string;
  file_name: string;
  content_type: string;
  bytes: number;
  width: number;
  height: number;
  reuse_consent_at: Date | null;
  reuse_consent_revoked_at: Date | null;
}

const FILE_NAME = /^[0-9a-f]{32}\.(jpg|png|webp)$/;

/** public: anyone may fetch it and caches may keep it; private: only this caller, never stored by a cache. */
export type FileAccess = 'public' | 'private';

/** An attachment with what decides who may fetch it: its post, its thread's deletion, the caller's membership role. */
interface FileAccessRow {
  content_type: string;
  uploader_id: string;
  post_id: string | null;
  board_id: string | null;
  author_id: string | null;
  hidden: boolean | null;
  deleted: boolean | null;
  viewer_role: Role | null;
}

/**
 * Image attachments. An upload is validated by content, re-encoded without metadata and stored
 * under UPLOAD_DIR with a random server-made name; it is then attached to the author's next
 * thread or reply (`attachmentIds`). A file is served to whoever may read its post (see fileAccess);
 * the unguessable name alone grants nothing.
 */
@Injectable()
export class AttachmentsService {
  private readonly uploadsPerUser: Limiter;

  constructor(
    private readonly db: Db,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly boards: BoardsService,
    private readonly communities: CommunitiesService,
    rateLimits: RateLimitService,
    private readonly identity: IdentityService,
  ) {
    this.uploadsPerUser = rateLimits.limiter({ name: 'uploads-user', points: 30, durationSeconds: 600 });
  }

  async upload(actor: Actor, communityId: string, input: Buffer): Promise<AttachmentView> {
    await this.uploadsPerUser.consume(actor.userId, 'Too many uploads, try again later');
    let image;
    try {
      image = await processImage(input);
    } catch (err) {
      if (err instanceof ImageRejectedError) {
        const status = err.code === 'IMAGE_TOO_LARGE' ? 413 : err.code === 'UNSUPPORTED_IMAGE_TYPE' ? 415 : 422;
        throw new AppError(err.code, status, err.message, {}, [{ field: 'file', message: err.message }]);
      }
      throw err;
    }
    const fileName = `${randomBytes(16).toString('hex')}.${image.extension}`;
    await mkdir(this.config.uploadDir, { recursive: true });
    await writeFile(join(this.config.uploadDir, fileName), image.data, { flag: 'wx' });
    const [row] = await this.db.query<AttachmentRow>(
      `INSERT INTO attachments (community_id, uploader_id, file_name, content_type, bytes, width, height, sha256)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [communityId, actor.userId, fileName, image.contentType, image.bytes, image.width, image.height, image.sha256],
    );
    return this.view(row);
  }

  /** Attaches the uploader's unattached uploads of this community to a post (in the caller's transaction). */
  async attach(actor: Actor, communityId: string, postId: string, ids: string[]): Promise<number> {
    if (!ids.length) return 0;
    const { affected } = await this.db.execute(
      `UPDATE attachments SET post_id = $4
        WHERE id = ANY($1::uuid[]) AND uploader_id = $2 AND community_id = $3 AND post_id IS NULL`,
      [ids, actor.userId, communityId, postId],
    );
    if (affected !== ids.length) throw ThreadsErrors.badAttachment();
    return affected;
  }

  /** The uploader grants (or revokes) the brand's right to reuse the photo; both moments are kept. */
  async setReuseConsent(actor: Actor, attachmentId: string, consent: boolean): Promise<AttachmentView> {
    const [row] = await this.db.query<AttachmentRow>(
      consent
        ? `UPDATE attachments SET reuse_consent_at = now(), reuse_consent_revoked_at = NULL WHERE id = $1 AND uploader_id = $2 RETURNING *`
        : `UPDATE attachments SET reuse_consent_revoked_at = CASE WHEN reuse_consent_at IS NOT NULL AND reuse_consent_revoked_at IS NULL THEN now() ELSE reuse_consent_revoked_at END
            WHERE id = $1 AND uploader_id = $2 RETURNING *`,
      [attachmentId, actor.userId],
    );
    if (!row) throw CommonErrors.notFound('Attachment');
    return this.view(row);
  }

  /**
   * The file if the caller may see it, null otherwise (also for files that exist: nothing leaks). One
   * query reads the attachment, its post, the thread's deletion and the caller's role; the board comes
   * from BoardsService's cached rows.
   */
  async readFile(actor: Actor | null, fileName: string): Promise<{ data: Buffer; contentType: string; access: FileAccess } | null> {
    if (!FILE_NAME.test(fileName)) return null;
    const [row] = await this.db.query<FileAccessRow>(
      `SELECT a.content_type, a.uploader_id, a.post_id, p.board_id, p.author_id, p.hidden,
              (p.deleted_at IS NOT NULL OR t.deleted_at IS NOT NULL) AS deleted,
              ${this.communities.membershipRoleSql('a.community_id', '$2')} AS viewer_role
         FROM attachments a
         LEFT JOIN posts p ON p.id = a.post_id
         LEFT JOIN threads t ON t.id = p.thread_id
        WHERE a.file_name = $1`,
      [fileName, actor?.userId ?? null],
    );
    // Not an attachment: someone's current avatar is public (see avatarFromUpload).
    const access = row ? await this.fileAccess(actor, row) : (await this.identity.avatarOwner(fileName)) ? 'public' : null;
    if (!access) return null;
    const contentType = row?.content_type ?? 'image/webp';
    try {
      return { data: await readFile(join(this.config.uploadDir, fileName)), contentType, access };
    } catch {
      return null;
    }
  }

  /**
   * An avatar from one of the caller's own uploads (404 for anyone else's): cropped square to 256 px
   * (images.ts) and written as a new file beside the uploads, with no attachments row; the uploads route
   * serves it to anyone while it is someone's avatar (IdentityService.avatarOwner). The upload itself is
   * left as it was (unattached ones are swept after a day).
   */
  async avatarFromUpload(actor: Actor, uploadId: string): Promise<{ file: string; url: string }> {
    const [row] = await this.db.query<{ file_name: string }>('SELECT file_name FROM attachments WHERE id = $1 AND uploader_id = $2', [uploadId, actor.userId]);
    if (!row) throw new AppError('UPLOAD_NOT_FOUND', 404, 'No such upload of yours', {}, [{ field: 'avatarUploadId', message: 'is not an upload of yours' }]);
    let image;
    try {
      image = await squareAvatar(await readFile(join(this.config.uploadDir, row.file_name)));
    } catch (err) {
      if (err instanceof ImageRejectedError || (err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new AppError('UPLOAD_NOT_FOUND', 404, 'The upload can no longer be read', {}, [{ field: 'avatarUploadId', message: 'can no longer be read' }]);
      }
      throw err;
    }
    const file = `${randomBytes(16).toString('hex')}.${image.extension}`;
    await mkdir(this.config.uploadDir, { recursive: true });
    await writeFile(join(this.config.uploadDir, file), image.data, { flag: 'wx' });
    return { file, url: `${this.config.publicUrl}/api/v1/uploads/${file}` };
  }

  /** Removes an avatar file nobody uses any more (a replaced avatar, or one whose profile edit failed). */
  async removeAvatarFile(file: string): Promise<void> {
    if (!FILE_NAME.test(file)) return;
    await unlink(join(this.config.uploadDir, file)).catch(() => undefined);
  }

  /**
   * Who may fetch a file: an unattached upload, its uploader only; a deleted post's (or thread's), no
   * one; a hidden post's, those who see the post (its author and moderators); otherwise those who may
   * read the board. Only a visible post on a public board is public.
   */
  private async fileAccess(actor: Actor | null, row: FileAccessRow): Promise<FileAccess | null> {
    if (!row.post_id) return actor && actor.userId === row.uploader_id ? 'private' : null;
    if (row.deleted) return null;
    const role = this.communities.effectiveRole(actor, row.viewer_role);
    let visibility: string;
    try {
      visibility = (await this.boards.accessibleWithRole(row.board_id!, role)).board.visibility;
    } catch (err) {
      if (err instanceof AppError && err.status === 404) return null;
      throw err;
    }
    if (row.hidden) return roleAtLeast(role, 'moderator') || (actor !== null && actor.userId === row.author_id) ? 'private' : null;
    return visibility === 'public' ? 'public' : 'private';
  }

  view(r: AttachmentRow): AttachmentView {
    const consent = Boolean(r.reuse_consent_at && !r.reuse_consent_revoked_at);
    return {
      id: r.id,
      url: `${this.config.publicUrl}/api/v1/uploads/${r.file_name}`,
      contentType: r.content_type,
      width: r.width,
      height: r.height,
      bytes: r.bytes,
      reuseConsent: consent,
      reuseConsentAt: consent ? new Date(r.reuse_consent_at!).toISOString() : null,
    };
  }
}

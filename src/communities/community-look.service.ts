import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { Actor, CommunityContext } from '../core/auth/actor';
import { INVALIDATIONS, Invalidations } from '../core/cluster/invalidations';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { Db } from '../core/database/db.service';
import { AppError, CommonErrors, FieldError } from '../core/errors/app-error';
import { EventsService } from '../core/events/events.service';
import { LOGGER } from '../core/logging/logger';
import { AttachmentsService } from '../threads/attachments.service';
import { CommunitiesService } from './communities.service';
import { checkCustomCss, contrastRatio, MIN_CONTRAST_WITH_WHITE, primaryColorProblem, scopeCss } from './community-look.css';
import { CommunityLookRepository, LookRow } from './community-look.repository';
import { LookView, UpdateLookDto } from './dto/community-look.dto';

/** What a page's layout needs of its community's look (paths on our own origin). */
export interface PageLook {
  lookCss: string | null;
  logoUrl: string | null;
}

interface LookSummary {
  hash: string;
  hasCss: boolean;
  logoFile: string | null;
}

const STYLESHEET_FILE = /^([0-9a-f]{16})(-base)?\.css$/;
const LOGO_FILE = /^[0-9a-f]{32}\.webp$/;
/** Other instances' changes arrive through Invalidations; this bounds staleness if Redis lost one. */
const RELOAD_EVERY_MS = 60_000;
export const PREVIEW_SCOPE = 'look-preview';
/** The default theme's primary colours, light and dark, as app.css declares them. */
const DEFAULT_PREVIEW_COLOURS =
  `.${PREVIEW_SCOPE}{--primary:#a63d1a;--primary-text:#ffffff}\n@media (prefers-color-scheme:dark){.${PREVIEW_SCOPE}{--primary:#e06a3c;--primary-text:#15171b}}\n`;

export const LookErrors = {
  refused: (errors: FieldError[]) =>
    new AppError('LOOK_REFUSED', 422, `The look was not saved: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, {}, errors),
  noDraft: () => CommonErrors.notFound('Draft'),
};

/**
 * The brand look (issues 23 and 24): a logo, a primary colour and checked custom CSS per community,
 * set by its admin. Every page of a community links the look's stylesheet and shows its logo, so
 * the pages read a summary of every look from memory (`forPage`, synchronous): loaded at start,
 * updated here at once on a change, and reloaded when another instance says something changed (an
 * empty Invalidation, which also clears every guest cache) and every minute. A change publishes
 * such an Invalidation after commit, so cached guest pages with the old look are dropped everywhere.
 */
@Injectable()
export class CommunityLookService implements OnModuleInit, OnModuleDestroy {
  private summaries = new Map<string, LookSummary>();
  private reloading: Promise<void> | null = null;
  private reloadAgain = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly repo: CommunityLookRepository,
    private readonly events: EventsService,
    private readonly communities: CommunitiesService,
    private readonly attachments: AttachmentsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(INVALIDATIONS) private readonly invalidations: Invalidations,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    this.summaries = await this.load();
    this.invalidations.subscribe((invalidation) => {
      if (!Object.keys(invalidation).length) this.scheduleReload();
    });
    this.timer = setInterval(() => this.scheduleReload(), RELOAD_EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** For the layout: the stylesheet (`base`: the colour only, without the custom CSS) and the logo; null: the default theme. */
  forPage(slug: string, base = false): PageLook | null {
    const look = this.summaries.get(slug);
    return look ? this.pathsOf(slug, look, base) : null;
  }

  /** Anyone who may see the community reads its look (a banned member is refused there as everywhere). */
  async get(actor: Actor | null, slug: string): Promise<LookView> {
    const community = await this.communities.resolve(slug, actor);
    if (!community) throw CommonErrors.notFound('Community');
    return this.view(community.slug, await this.repo.byCommunity(community.id));
  }

  /** The admin's look as the admin page shows it, with the unpublished draft if there is one. */
  async forAdmin(community: CommunityContext): Promise<{ look: LookView; draft: { primaryColor: string | null; customCss: string } | null }> {
    const row = await this.repo.byCommunity(community.id);
    const draft = row && row.draft_custom_css !== null ? { primaryColor: row.draft_primary_color, customCss: row.draft_custom_css } : null;
    return { look: this.view(community.slug, row), draft };
  }

  /**
   * Changes the look (the caller is the community's admin). The colour and the CSS are checked first
   * (422 LOOK_REFUSED with every problem by field); a logo is made from the admin's upload like an
   * avatar. One transaction writes the row and `community.look_changed` (the audit log reads it).
   */
  async update(actor: Actor, community: CommunityContext, dto: UpdateLookDto): Promise<LookView> {
    if (dto.customCss === null) throw CommonErrors.validation([{ field: 'customCss', message: 'customCss may not be null ("" removes it)' }]);
    const color = dto.primaryColor === undefined || dto.primaryColor === null ? dto.primaryColor : dto.primaryColor.toLowerCase();
    const { problems, compiled } = this.check(color, dto.customCss);
    if (problems.length) throw LookErrors.refused(problems);
    const logo = dto.logoUploadId ? await this.logoFromUpload(actor, dto.logoUploadId) : undefined;
    let result: { row: LookRow; replacedLogo: string | null };
    try {
      result = await this.db.transaction(async () => {
        const before = await this.repo.lockForUpdate(community.id);
        const primaryColor = color === undefined ? before.primary_color : color;
        const customCss = dto.customCss ?? before.custom_css;
        const compiledCss = compiled ?? before.compiled_css;
        const logoFile = dto.logoUploadId === undefined ? before.logo_file : (logo?.file ?? null);
        const unchanged = before.version > 0 && primaryColor === before.primary_color && customCss === before.custom_css && logoFile === before.logo_file;
        if (unchanged) return { row: before, replacedLogo: null };
        const cssHash = createHash('sha256').update(`${primaryColor ?? ''}\n${compiledCss}`).digest('hex').slice(0, 16);
        const clearDraft = dto.primaryColor !== undefined || dto.customCss !== undefined;
        const row = await this.repo.update(community.id, { primaryColor, customCss, compiledCss, cssHash, logoFile, clearDraft, by: actor.userId });
        await this.events.record('community.look_changed', { communityId: community.id, by: actor.userId, before: auditOf(before), after: auditOf(row) }, community.id);
        return { row, replacedLogo: before.logo_file !== row.logo_file ? before.logo_file : null };
      });
    } catch (err) {
      if (logo) await this.attachments.removeAvatarFile(logo.file);
      throw err;
    }
    if (result.replacedLogo) await this.attachments.removeAvatarFile(result.replacedLogo);
    this.summaries.set(community.slug, summaryOf(result.row));
    // Every instance drops its guest pages (and reloads its summaries): the pages show the new look at once.
    this.invalidations.publish();
    return this.view(community.slug, result.row);
  }

  /** The admin page's preview: the colour and CSS are checked like a change and kept as the draft; nothing is published. */
  async saveDraft(community: CommunityContext, draft: { primaryColor: string | null; customCss: string }): Promise<void> {
    const color = draft.primaryColor?.toLowerCase() ?? null;
    const { problems, compiled } = this.check(color, draft.customCss);
    if (problems.length) throw LookErrors.refused(problems);
    await this.repo.saveDraft(community.id, { primaryColor: color, customCss: draft.customCss, compiledCss: compiled ?? '' });
  }

  /** The preview's stylesheet (admins only, see the page): the draft, or the published look, confined to the preview element. */
  async previewStylesheet(community: CommunityContext, draft: boolean): Promise<string> {
    const row = await this.repo.byCommunity(community.id);
    if (draft && row?.draft_compiled_css == null) throw LookErrors.noDraft();
    const color = draft ? row!.draft_primary_color : (row?.primary_color ?? null);
    const css = draft ? row!.draft_compiled_css! : (row?.compiled_css ?? '');
    // No colour: the default theme's (app.css), which the page around the preview may have replaced with the published one.
    const colours = color ? `.${PREVIEW_SCOPE}{--primary:${color};--primary-text:#ffffff}\n` : DEFAULT_PREVIEW_COLOURS;
    return colours + scopeCss(css, PREVIEW_SCOPE);
  }

  /**
   * The stylesheet a community's pages link; null when there is none. A file name other than the
   * current one still gets the current look, not to be cached (a page rendered before the change).
   */
  async stylesheet(slug: string, file: string): Promise<{ css: string; current: boolean } | null> {
    const match = STYLESHEET_FILE.exec(file);
    if (!match) return null;
    const row = await this.repo.bySlug(slug);
    if (!row || row.version === 0 || (!row.primary_color && !row.compiled_css)) return null;
    return { css: colourCss(row.primary_color) + (match[2] ? '' : row.compiled_css), current: match[1] === row.css_hash };
  }

  /** The community's current logo by its file name; null for any other file. */
  async logo(slug: string, file: string): Promise<Buffer | null> {
    if (!LOGO_FILE.test(file)) return null;
    const row = await this.repo.bySlug(slug);
    if (row?.logo_file !== file) return null;
    return readFile(join(this.config.uploadDir, file)).catch(() => null);
  }

  private check(color: string | null | undefined, css: string | undefined): { problems: FieldError[]; compiled?: string } {
    const problems: FieldError[] = [];
    const colorProblem = color ? primaryColorProblem(color) : null;
    if (colorProblem) problems.push({ field: 'primaryColor', message: colorProblem });
    if (css === undefined) return { problems };
    const checked = checkCustomCss(css);
    if (!checked.ok) {
      problems.push(...checked.problems.map((message) => ({ field: 'customCss', message })));
      return { problems };
    }
    return { problems, compiled: checked.css };
  }

  private async logoFromUpload(actor: Actor, uploadId: string): Promise<{ file: string }> {
    try {
      return await this.attachments.avatarFromUpload(actor, uploadId);
    } catch (err) {
      // The same failure, named after this API's field.
      if (err instanceof AppError && err.errors.length) throw new AppError(err.code, err.status, err.detail, err.extra, err.errors.map((e) => ({ ...e, field: 'logoUploadId' })));
      throw err;
    }
  }

  private view(slug: string, row: LookRow | null): LookView {
    if (!row || row.version === 0) return { logoUrl: null, primaryColor: null, customCss: '', stylesheetUrl: null, updatedAt: null, version: 0 };
    const page = this.pathsOf(slug, summaryOf(row));
    return {
      logoUrl: page.logoUrl ? this.config.publicUrl + page.logoUrl : null,
      primaryColor: row.primary_color,
      customCss: row.custom_css,
      stylesheetUrl: page.lookCss ? this.config.publicUrl + page.lookCss : null,
      updatedAt: new Date(row.updated_at).toISOString(),
      version: row.version,
    };
  }

  private pathsOf(slug: string, look: LookSummary, base = false): PageLook {
    return {
      lookCss: look.hasCss ? `/c/${slug}/look/${look.hash}${base ? '-base' : ''}.css` : null,
      logoUrl: look.logoFile ? `/c/${slug}/look/${look.logoFile}` : null,
    };
  }

  private async load(): Promise<Map<string, LookSummary>> {
    const rows = await this.repo.summaries();
    return new Map(rows.map((r) => [r.slug, { hash: r.css_hash, hasCss: r.has_css, logoFile: r.logo_file }]));
  }

  /** One reload at a time; a request during one runs one more after it. A reload that finds a change tells every instance (their guest pages). */
  private scheduleReload(): void {
    if (this.reloading) {
      this.reloadAgain = true;
      return;
    }
    this.reloading = (async () => {
      try {
        do {
          this.reloadAgain = false;
          const next = await this.load();
          const changed = next.size !== this.summaries.size || [...next].some(([slug, s]) => !sameSummary(s, this.summaries.get(slug)));
          this.summaries = next;
          if (changed) this.invalidations.publish();
        } while (this.reloadAgain);
      } catch (err) {
        this.logger.warn({ err }, 'brand looks: could not reload; the pages keep the looks they had');
      } finally {
        this.reloading = null;
      }
    })();
  }
}

/** The light theme's page background (app.css --bg), the lightest surface links sit on. */
const LIGHT_BACKGROUND = '#fbfaf8';

/**
 * The colour as the theme's custom properties, for light and dark alike (white text on it is
 * readable either way), and a brand stripe atop the header. Links take it too in the light theme
 * when it is readable on the page background; the dark theme keeps its own light link colour.
 */
function colourCss(color: string | null): string {
  if (!color) return '';
  const links = contrastRatio(color, LIGHT_BACKGROUND) >= MIN_CONTRAST_WITH_WHITE ? `@media (prefers-color-scheme:light){:root{--link:${color}}}\n` : '';
  return `:root{--primary:${color};--primary-text:#ffffff}\n${links}.site-header{border-top:4px solid var(--primary)}\n`;
}

function summaryOf(row: LookRow): LookSummary {
  return { hash: row.css_hash, hasCss: Boolean(row.primary_color || row.compiled_css), logoFile: row.logo_file };
}

function sameSummary(a: LookSummary, b: LookSummary | undefined): boolean {
  return Boolean(b) && a.hash === b!.hash && a.hasCss === b!.hasCss && a.logoFile === b!.logoFile;
}

/** A look as the audit log keeps it: the CSS as its length and a hash (the log stays small). */
function auditOf(row: LookRow): Record<string, string | number | null> {
  return {
    primaryColor: row.version > 0 ? row.primary_color : null,
    logoFile: row.version > 0 ? row.logo_file : null,
    customCssChars: row.version > 0 ? row.custom_css.length : 0,
    customCssSha256: row.version > 0 && row.custom_css ? createHash('sha256').update(row.custom_css).digest('hex').slice(0, 16) : null,
  };
}

import { Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { contrastWithWhite, HEX_COLOR } from '../../communities/community-look.css';
import { CommunityLookService, PREVIEW_SCOPE } from '../../communities/community-look.service';
import { UpdateLookDto } from '../../communities/dto/community-look.dto';
import { AppError, CommonErrors, FieldError } from '../../core/errors/app-error';
import { AttachmentsService } from '../../threads/attachments.service';
import { IMAGE_LIMITS } from '../../threads/images';
import { Page, readFormWithImage, validateWith } from '../forms';
import { sendPage } from '../send-page';
import { Views } from '../views';
import { WebErrorFilter } from '../web-error.filter';
import { CSRF_FIELD } from '../web-session.service';
import { StaffAccess, StaffPageAccess, staffNav } from './staff-access';

/** What the pickers show for "no colour": the default theme's light primary (app.css). */
const DEFAULT_PRIMARY = '#a63d1a';
const SAVED: Record<string, string> = {
  look: 'The look is published: every page of the community shows it now.',
  logo: 'The logo is saved.',
  removed: 'The logo is removed.',
};

interface LookForm {
  values: { primaryColor: string; customCss: string };
  errors: { primaryColor?: string; customCss?: string[]; logo?: string };
  message?: string;
  /** The preview shows the draft just saved (else the published look). */
  draft?: boolean;
}

/**
 * The admin's brand look page (issue 24): the logo (uploaded through the same upload pipeline as
 * photos, then made the logo as PUT /communities/:slug/look does), the primary colour (a colour
 * picker and its text) and the custom CSS, checked by the same service as the API.
 *
 * Preview before publish: "Preview" checks the colour and CSS and keeps them as the community's
 * draft without publishing; the page then shows a sample of the site's parts (header, card, badge,
 * button, link) with the draft applied, confined to the sample, so a draft can never break this
 * page. "Publish" makes the form the live look. This page itself gets the look's colour but not its
 * custom CSS (PageMeta.baseLook), so CSS that hides things can always be fixed here.
 */
@Controller()
@UseFilters(WebErrorFilter)
export class LookPageController {
  constructor(
    private readonly views: Views,
    private readonly access: StaffAccess,
    private readonly looks: CommunityLookService,
    private readonly attachments: AttachmentsService,
  ) {}

  @Get('c/:slug/admin/look')
  @Page()
  async show(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Query('saved') saved: unknown) {
    const page = await this.access.require(request, reply, slug, 'admin');
    const { look } = await this.looks.forAdmin(page.context);
    const notice = typeof saved === 'string' ? (SAVED[saved] ?? '') : '';
    return this.render(reply, page, { values: { primaryColor: look.primaryColor ?? '', customCss: look.customCss }, errors: {} }, notice);
  }

  /** The colour and CSS: previewed as the draft, or published (PUT /communities/:slug/look's work). */
  @Post('c/:slug/admin/look')
  @Page({ guestCacheEffect: 'events' })
  async save(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const { fields } = await readFormWithImage(request, 'logo', LOOK_FORM_LIMITS, false);
    const page = await this.access.requireForm(request, reply, slug, 'admin', fields[CSRF_FIELD]);
    const values = { primaryColor: chosenColor(fields), customCss: (fields.customCss ?? '').replace(/\r\n/g, '\n') };
    const input = { primaryColor: values.primaryColor || null, customCss: values.customCss };
    const { errors } = await validateWith(UpdateLookDto, input);
    if (errors) return this.render(reply, page, { values, errors: { primaryColor: errors.primaryColor, customCss: errors.customCss ? [errors.customCss] : undefined }, message: 'Please correct the fields marked below.' }, '', 400);
    try {
      if (fields.intent === 'preview') {
        await this.looks.saveDraft(page.context, input);
        return this.render(reply, page, { values, errors: {}, draft: true }, 'Your draft is in the preview below; the community still shows the published look.');
      }
      await this.looks.update(page.viewer.actor, page.context, input);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      return this.render(reply, page, { values, errors: byField(err.errors), message: 'Nothing was published: please correct the fields marked below.' }, '', err.status);
    }
    return reply.redirect(`/c/${encodeURIComponent(page.community.slug)}/admin/look?saved=look`, 303);
  }

  /** A new logo from the chosen image, or the logo removed. */
  @Post('c/:slug/admin/look/logo')
  @Page({ guestCacheEffect: 'events' })
  async logo(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const { fields, file, fileError } = await readFormWithImage(request, 'logo', LOOK_FORM_LIMITS, true);
    const page = await this.access.requireForm(request, reply, slug, 'admin', fields[CSRF_FIELD]);
    const { look } = await this.looks.forAdmin(page.context);
    const back = (error: string, status: number) =>
      this.render(reply, page, { values: { primaryColor: look.primaryColor ?? '', customCss: look.customCss }, errors: { logo: error }, message: 'The logo was not changed.' }, '', status);
    if (fileError) return back(fileError, 413);
    const remove = fields.intent === 'remove';
    if (!remove && !file) return back('Choose an image for the logo', 400);
    try {
      const logoUploadId = remove ? null : (await this.attachments.upload(page.viewer.actor, page.context.id, file!)).id;
      await this.looks.update(page.viewer.actor, page.context, { logoUploadId });
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      return back(err.detail, err.status);
    }
    return reply.redirect(`/c/${encodeURIComponent(page.community.slug)}/admin/look?saved=${remove ? 'removed' : 'logo'}`, 303);
  }

  /** The preview's stylesheet: `draft-<n>.css` the draft, `live-<n>.css` the published look; admins only, never cached. */
  @Get('c/:slug/admin/look/preview/:file')
  @Page()
  async previewCss(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Param('file') file: string) {
    const match = /^(draft|live)-\d{1,6}\.css$/.exec(file);
    if (!match) throw CommonErrors.notFound('Stylesheet');
    const page = await this.access.require(request, reply, slug, 'admin');
    const css = await this.looks.previewStylesheet(page.context, match[1] === 'draft');
    return reply.header('cache-control', 'private, no-store').type('text/css; charset=utf-8').send(css);
  }

  private async render(reply: FastifyReply, page: StaffPageAccess, form: LookForm, notice: string, status = 200) {
    const { viewer, context, community } = page;
    const { look } = await this.looks.forAdmin(context);
    const color = HEX_COLOR.test(form.values.primaryColor) ? form.values.primaryColor.toLowerCase() : '';
    const previewColor = form.draft ? color : (look.primaryColor ?? '');
    const html = this.views.page(
      'staff/look',
      { title: `Look · ${community.name}`, canonicalPath: `/c/${community.slug}/admin/look`, community, noindex: true, baseLook: true, scripts: ['look-admin.js'] },
      viewer,
      {
        community,
        role: context.role,
        staffNav: staffNav(community.slug, context.role!, 'admin/look'),
        csrfField: CSRF_FIELD,
        notice,
        form,
        look,
        pickerValue: color || DEFAULT_PRIMARY,
        contrast: color ? `${(Math.floor(contrastWithWhite(color) * 100) / 100).toFixed(2)}:1` : '',
        preview: {
          draft: Boolean(form.draft),
          // A new name per view: the browser never reuses an older draft's stylesheet.
          css: `/c/${community.slug}/admin/look/preview/${form.draft ? 'draft' : 'live'}-${Date.now() % 1_000_000}.css`,
          color: previewColor,
          scope: PREVIEW_SCOPE,
        },
        maxCss: 10_000,
        maxImageMiB: IMAGE_LIMITS.maxBytes / 1024 / 1024,
      },
    );
    return sendPage(reply, viewer, html, status);
  }
}

/**
 * The colour the form chose: its text, unless only the colour picker was changed (without
 * JavaScript the two are not kept in step); "default" or an empty text means the default colour.
 */
function chosenColor(fields: Record<string, string>): string {
  const text = (fields.primaryColor ?? '').trim();
  if (fields.useDefault === 'on' || text.toLowerCase() === 'default') return '';
  const picker = fields.primaryColorPicker ?? '';
  if (text === (fields.primaryColorShown ?? '') && picker && picker !== fields.pickerShown) return picker;
  return text;
}

function byField(errors: FieldError[]): LookForm['errors'] {
  const out: LookForm['errors'] = {};
  for (const e of errors) {
    if (e.field === 'customCss') (out.customCss ??= []).push(e.message);
    else if (e.field === 'primaryColor') out.primaryColor ??= e.message;
    else out.logo ??= e.message;
  }
  return out;
}

/** The look forms are small; the logo form carries one image. */
const LOOK_FORM_LIMITS = { fields: 10, fieldSize: 48 * 1024 };

import { Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, CommonErrors } from '../../core/errors/app-error';
import { ModerationRulesDto, WatchedWordDto } from '../../moderation/dto/moderation.dto';
import { RulesService } from '../../moderation/rules.service';
import { MAX_PATTERN_LENGTH, MAX_RULES, RULE_ACTIONS, WatchedWord } from '../../moderation/watched-words';
import { FieldErrors, Page, readForm, validateWith } from '../forms';
import { sendPage } from '../send-page';
import { Views } from '../views';
import { WebErrorFilter } from '../web-error.filter';
import { CSRF_FIELD } from '../web-session.service';
import { fieldList } from './boards-page.controller';
import { StaffAccess, StaffPageAccess, staffNav } from './staff-access';

export const RULE_ACTION_LABELS: Record<string, { label: string; help: string }> = {
  block: { label: 'Block', help: 'the post is refused and the member is told which word' },
  queue: { label: 'Hold for review', help: 'the post waits in the queue until a moderator approves it' },
  flag: { label: 'Flag', help: 'the post is published and put in the review queue' },
};
const SAVED: Record<string, string> = { added: 'The rule is added.', removed: 'The rule is removed.', firstPost: 'Saved.' };

/**
 * The admin's automod page (issue 24): the watched words and phrases with their action, a form to
 * add one, a button to remove each, and holding new members' first posts. The API replaces the
 * rules as a whole (PUT /communities/:slug/moderation/rules); each form here reads them, changes
 * one thing and puts them back through RulesService.put, so the same validation (each pattern must
 * parse, no duplicates, at most MAX_RULES) and the same audit entry apply.
 */
interface Rules {
  watchedWords: WatchedWord[];
  queueNewMemberFirstPost: boolean;
}

@Controller()
@UseFilters(WebErrorFilter)
export class AutomodPageController {
  constructor(
    private readonly views: Views,
    private readonly access: StaffAccess,
    private readonly rules: RulesService,
  ) {}

  @Get('c/:slug/admin/automod')
  @Page()
  async show(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Query('saved') saved: unknown) {
    const page = await this.access.require(request, reply, slug, 'admin');
    return this.render(reply, page, { notice: typeof saved === 'string' ? (SAVED[saved] ?? '') : '' });
  }

  @Post('c/:slug/admin/automod/words')
  @Page({ guestCacheEffect: 'none' })
  async add(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const form = await readForm(request);
    const page = await this.access.requireForm(request, reply, slug, 'admin', form[CSRF_FIELD]);
    const values = { pattern: form.pattern ?? '', action: form.action ?? '' };
    const back = (errors: FieldErrors, status: number, message: string) => this.render(reply, page, { values, errors, message }, status);
    const { value, errors } = await validateWith(WatchedWordDto, values);
    if (errors) return back(errors, 400, 'Please correct the fields marked below.');
    let index = 0;
    try {
      await this.change(page, (current) => {
        index = current.watchedWords.length;
        return { watchedWords: [...current.watchedWords, { pattern: value.pattern, action: value.action }], queueNewMemberFirstPost: current.queueNewMemberFirstPost };
      });
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      // The new rule is the last one: its errors are about the pattern (or the list's size).
      const message = err.errors.find((e) => e.field.startsWith(`watchedWords[${index}]`))?.message ?? err.errors[0]?.message ?? err.detail;
      return back({ pattern: message.charAt(0).toUpperCase() + message.slice(1) }, err.status, err.detail);
    }
    return reply.redirect(`${base(page)}?saved=added#words`, 303);
  }

  @Post('c/:slug/admin/automod/words/remove')
  @Page({ guestCacheEffect: 'none' })
  async remove(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const form = await readForm(request);
    const page = await this.access.requireForm(request, reply, slug, 'admin', form[CSRF_FIELD]);
    const pattern = (form.pattern ?? '').trim().toLowerCase();
    await this.change(page, (current) => {
      const kept = current.watchedWords.filter((w) => w.pattern.toLowerCase() !== pattern);
      // Removing a rule someone else removed first is done already.
      return kept.length === current.watchedWords.length ? null : { watchedWords: kept, queueNewMemberFirstPost: current.queueNewMemberFirstPost };
    });
    return reply.redirect(`${base(page)}?saved=removed#words`, 303);
  }

  @Post('c/:slug/admin/automod/first-post')
  @Page({ guestCacheEffect: 'none' })
  async firstPost(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const form = await readForm(request);
    const page = await this.access.requireForm(request, reply, slug, 'admin', form[CSRF_FIELD]);
    await this.change(page, (current) => ({ watchedWords: current.watchedWords, queueNewMemberFirstPost: form.queueNewMemberFirstPost === 'true' }));
    return reply.redirect(`${base(page)}?saved=firstPost#first-post`, 303);
  }

  /**
   * Each form is one edit (a word added or removed, the switch), applied to the rules as they are now
   * and written with their version: when another admin's save lands in between (409 RULES_CHANGED), the
   * rules are read again and the edit reapplied, so neither admin's edit is lost.
   */
  private async change(page: StaffPageAccess, edit: (current: Rules) => Rules | null): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.rules.get(page.context.id);
      const next = edit(current);
      if (!next) return;
      try {
        return await this.put(page, next.watchedWords, next.queueNewMemberFirstPost, current.version);
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'RULES_CHANGED') || attempt >= 5) throw err;
      }
    }
  }

  /** PUT /communities/:slug/moderation/rules: the API's DTO, then the service. */
  private async put(page: StaffPageAccess, watchedWords: WatchedWord[], queueNewMemberFirstPost: boolean, version: string) {
    const { value, errors } = await validateWith(ModerationRulesDto, { watchedWords, queueNewMemberFirstPost, version });
    if (errors) throw CommonErrors.validation(fieldList(errors), Object.values(errors).join('; '));
    await this.rules.put(page.viewer.actor, page.context, value);
  }

  private async render(reply: FastifyReply, page: StaffPageAccess, data: { notice?: string; values?: Record<string, string>; errors?: FieldErrors; message?: string }, status = 200) {
    const { viewer, context, community } = page;
    const rules = await this.rules.get(context.id);
    const html = this.views.page(
      'staff/automod',
      { title: `Automod · ${community.name}`, canonicalPath: base(page), community, noindex: true },
      viewer,
      {
        community,
        role: context.role,
        staffNav: staffNav(community.slug, context.role!, 'admin/automod'),
        rules,
        actions: RULE_ACTIONS.map((value) => ({ value, ...RULE_ACTION_LABELS[value] })),
        actionLabels: RULE_ACTION_LABELS,
        values: data.values ?? { pattern: '', action: 'flag' },
        errors: data.errors ?? {},
        message: data.message ?? '',
        notice: data.notice ?? '',
        maxRules: MAX_RULES,
        maxPattern: MAX_PATTERN_LENGTH,
        csrfField: CSRF_FIELD,
      },
    );
    return sendPage(reply, viewer, html, status);
  }
}

function base(page: StaffPageAccess): string {
  return `/c/${encodeURIComponent(page.community.slug)}/admin/automod`;
}

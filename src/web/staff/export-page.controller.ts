import { Controller, Get, Param, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ExportQueryDto } from '../../insights/dto/insights.dto';
import { engagementExport } from '../../insights/export-stream';
import { ProfilesService } from '../../insights/profiles.service';
import { FieldErrors, Page, validateWith } from '../forms';
import { sendPage } from '../send-page';
import { Views } from '../views';
import { WebErrorFilter } from '../web-error.filter';
import { StaffAccess, StaffPageAccess, staffNav } from './staff-access';

const FORMATS = [
  { value: 'csv', label: 'CSV', help: 'A header row, then one row per member: opens in a spreadsheet' },
  { value: 'ndjson', label: 'NDJSON', help: 'One JSON object per line: for scripts and data tools' },
];
const SEGMENTS = [
  { value: '', label: 'Every member' },
  { value: 'A', label: 'A: core' },
  { value: 'B', label: 'B: regular' },
  { value: 'C', label: 'C: at risk or dormant' },
];

/**
 * The admin's engagement export page (issue 24): a form, and the download itself streamed as the API's
 * GET /engagement/export streams it (the same lines from insights' engagementExport, one page of
 * members in memory at a time), with the page's cookie session instead of a token.
 */
@Controller()
@UseFilters(WebErrorFilter)
export class ExportPageController {
  constructor(
    private readonly views: Views,
    private readonly access: StaffAccess,
    private readonly profiles: ProfilesService,
  ) {}

  @Get('c/:slug/admin/export')
  @Page()
  async page(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const access = await this.access.require(request, reply, slug, 'admin');
    return this.render(reply, access, { format: 'csv', segment: '', since: '' }, {}, 200);
  }

  @Get('c/:slug/admin/export/download')
  @Page()
  async download(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Query() query: Record<string, unknown>) {
    const access = await this.access.require(request, reply, slug, 'admin');
    const values = { format: text(query.format), segment: text(query.segment), since: text(query.since) };
    const { value, errors } = await validateWith(ExportQueryDto, { format: values.format || undefined, segment: values.segment || undefined, since: values.since || undefined });
    if (errors) return this.render(reply, access, values, errors, 400);
    const { headers, body } = engagementExport(this.profiles, access.context, { ...value, format: value.format ?? 'csv' });
    return reply.headers(headers).send(body);
  }

  private render(reply: FastifyReply, access: StaffPageAccess, values: Record<string, string>, errors: FieldErrors, status: number) {
    const { viewer, context, community } = access;
    const html = this.views.page(
      'staff/export',
      { title: `Export · ${community.name}`, canonicalPath: `/c/${community.slug}/admin/export`, community, noindex: true },
      viewer,
      { community, staffNav: staffNav(community.slug, context.role!, 'admin/export'), values, errors, formats: FORMATS, segments: SEGMENTS },
    );
    return sendPage(reply, viewer, html, status);
  }
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

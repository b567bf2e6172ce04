import { Controller, Get, Param, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CommunityLookService } from '../communities/community-look.service';
import { CommonErrors } from '../core/errors/app-error';
import { Page } from './forms';
import { WebErrorFilter } from './web-error.filter';

const YEAR = 'public, max-age=31536000, immutable';

/**
 * A community's brand look as its pages link it (docs/readme/brand-look.md): the stylesheet
 * `/c/:slug/look/<hash>.css` (the colour as custom properties, then the checked custom CSS;
 * `<hash>-base.css` the colour only) and the logo `/c/:slug/look/<file>.webp`. A changed look has
 * new names, so both are cached for a year; an old stylesheet name gets the current look, uncached.
 * Served from our own origin, so the pages' CSP (style-src 'self', img-src 'self') needs nothing more.
 */
@Controller()
@UseFilters(WebErrorFilter)
export class LookCssController {
  constructor(private readonly looks: CommunityLookService) {}

  @Get('c/:slug/look/:file')
  @Page()
  async file(@Res() reply: FastifyReply, @Param('slug') slug: string, @Param('file') file: string) {
    if (file.endsWith('.css')) {
      const sheet = await this.looks.stylesheet(slug, file);
      if (!sheet) throw CommonErrors.notFound('Stylesheet');
      return reply.header('cache-control', sheet.current ? YEAR : 'no-cache').type('text/css; charset=utf-8').send(sheet.css);
    }
    const logo = await this.looks.logo(slug, file);
    if (!logo) throw CommonErrors.notFound('Logo');
    // The logo is public (the API's logoUrl): other sites (the store) may show it.
    return reply
      .headers({ 'cache-control': YEAR, 'content-type': 'image/webp', 'x-content-type-options': 'nosniff', 'cross-origin-resource-policy': 'cross-origin' })
      .send(logo);
  }
}

import { Controller, Get, Param, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommonErrors } from '../core/errors/app-error';
import { Page } from './forms';
import { Views } from './views';
import { WebErrorFilter } from './web-error.filter';

/** The pages' CSS, scripts and logo under content-hashed names: cached for a year, revalidated by ETag if asked. */
@Controller()
@UseFilters(WebErrorFilter)
export class AssetsController {
  constructor(private readonly views: Views) {}

  @Get('assets/:file')
  @Page()
  asset(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('file') file: string) {
    const asset = this.views.served(file);
    if (!asset) throw CommonErrors.notFound('File');
    void reply.header('cache-control', 'public, max-age=31536000, immutable').header('etag', asset.etag);
    if (request.headers['if-none-match'] === asset.etag) return reply.status(304).send();
    return reply.type(asset.contentType).send(asset.body);
  }
}

import { Controller, Get, Param, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommonErrors } from '../core/errors/app-error';
import { AttachmentsService } from '../threads/attachments.service';
import { fileHeaders } from '../threads/file-headers';
import { Page } from './forms';
import { WebErrorFilter } from './web-error.filter';
import { WebSessionService } from './web-session.service';

/**
 * Photos for the pages: the API's `/api/v1/uploads/:fileName` reads a bearer token, which an <img>
 * never sends, so a photo of a members-only or staff board would not show. `/media/:fileName` is the
 * same file with the same rules (AttachmentsService.readFile), for the viewer of the page's session
 * cookie; pages link photos here (Views' `local`).
 */
@Controller()
@UseFilters(WebErrorFilter)
export class MediaController {
  constructor(
    private readonly sessions: WebSessionService,
    private readonly attachments: AttachmentsService,
  ) {}

  @Get('media/:fileName')
  @Page()
  async file(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('fileName') fileName: string) {
    const actor = await this.sessions.actor(request, reply);
    const file = await this.attachments.readFile(actor, fileName);
    if (!file) throw CommonErrors.notFound('File');
    return reply.headers(fileHeaders(file.contentType, file.access)).send(file.data);
  }
}

import { Controller, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommunitiesService } from '../communities/communities.service';
import { CommonErrors } from '../core/errors/app-error';
import { AttachmentsService } from '../threads/attachments.service';
import { Page } from './forms';
import { sendJson, sendJsonError } from './json-reply';
import { readPhotoPart } from './post-form';
import { WebErrorFilter } from './web-error.filter';
import { WebSessionService } from './web-session.service';
import { WebErrors } from './web.errors';

/**
 * The drop zone's upload: one photo, through the same upload pipeline as the API's
 * `POST /communities/:slug/uploads` (validated by content, re-encoded without metadata, rate
 * limited), for members of the community. The CSRF token comes in `x-csrf-token`. Answers JSON for
 * the script: the attachment's id goes into the form as `attachmentIds`.
 */
@Controller()
@UseFilters(WebErrorFilter)
export class PhotoUploadController {
  constructor(
    private readonly sessions: WebSessionService,
    private readonly communities: CommunitiesService,
    private readonly attachments: AttachmentsService,
  ) {}

  @Post('c/:slug/photos')
  @Page({ guestCacheEffect: 'none' })
  async upload(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    try {
      const actor = await this.sessions.assertCsrf(request, reply, undefined);
      if (!actor) throw WebErrors.signInRequired();
      const community = await this.communities.resolve(slug, actor);
      if (!community) throw CommonErrors.notFound('Community');
      if (!community.role) throw CommonErrors.forbidden('You are not a member of this community');
      const photo = await this.attachments.upload(actor, community.id, await readPhotoPart(request));
      return sendJson(reply, 201, { id: photo.id, width: photo.width, height: photo.height, contentType: photo.contentType });
    } catch (err) {
      return sendJsonError(reply, err);
    }
  }
}

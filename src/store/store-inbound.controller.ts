import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RouteConfig } from '@nestjs/platform-fastify';
import { Public } from '../core/auth/auth.guard';
import { CommunitiesService } from '../communities/communities.service';
import { AuthResultView } from '../identity/dto/auth.dto';
import { InboundEventDto, InboundResultView, SsoDto } from './dto/store.dto';
import { InboundService } from './inbound.service';
import { RAW_BODY_CONFIG, RawBodyRequest } from './raw-body';
import { SsoService } from './sso.service';

const header = (req: RawBodyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};

/** What the store calls: signed events, and single sign-on of its customers. Authenticated by signatures, not tokens. */
@ApiTags('store')
@Controller('communities/:slug')
export class StoreInboundController {
  constructor(
    private readonly communities: CommunitiesService,
    private readonly inbound: InboundService,
    private readonly sso: SsoService,
  ) {}

  @Public()
  @Post('store/events')
  @HttpCode(200)
  @RouteConfig(RAW_BODY_CONFIG)
  @ApiHeader({ name: 'webhook-id', required: true })
  @ApiHeader({ name: 'webhook-timestamp', required: true, description: 'Unix seconds; within 5 minutes of the server time' })
  @ApiHeader({ name: 'webhook-signature', required: true, description: 'v1,<base64 HMAC-SHA256 of "id.timestamp.body"> with the inbound secret' })
  @ApiOkResponse({ type: InboundResultView, description: 'Signed by the store (Standard Webhooks); each webhook-id takes effect once' })
  async event(@Param('slug') slug: string, @Req() req: RawBodyRequest, @Body() dto: InboundEventDto): Promise<InboundResultView> {
    const community = await this.communities.getBySlug(slug);
    return this.inbound.receive(
      community.id,
      { id: header(req, 'webhook-id'), timestamp: header(req, 'webhook-timestamp'), signature: header(req, 'webhook-signature') },
      req.rawBody,
      dto,
    );
  }

  @Public()
  @Post('sso')
  @HttpCode(200)
  @ApiOkResponse({ type: AuthResultView, description: "Single sign-on from the store: signs in (or creates and links) the store customer's account and joins the community" })
  signIn(@Param('slug') slug: string, @Req() req: RawBodyRequest, @Body() dto: SsoDto): Promise<AuthResultView> {
    return this.communities.getBySlug(slug).then((c) => this.sso.signIn(c.id, dto, { ip: req.ip, userAgent: req.headers['user-agent'] }));
  }
}

import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { IsEmail, IsInt, IsString, MaxLength, MinLength, validateSync } from 'class-validator';
import { Db } from '../core/database/db.service';
import { CommunityPolicy } from '../core/policy/community-policy';
import { CommunitiesService } from '../communities/communities.service';
import { AuthResultView } from '../identity/dto/auth.dto';
import { ClientInfo, IdentityService } from '../identity/identity.service';
import { liveSecrets, InboundService } from './inbound.service';
import { verifySsoSignature } from './signing';
import { StoreErrors } from './store.errors';
import { StoreRepository } from './store.repository';
import { WebhookSettings } from './webhook-settings';

class SsoPayload {
  @IsString() @MinLength(1) @MaxLength(200) storeCustomerId: string;
  @IsEmail({}, { message: 'email must be an email address' }) @MaxLength(254) email: string;
  @IsString() @MinLength(1) @MaxLength(200) name: string;
  @IsString() @MinLength(8, { message: 'nonce must be 8 to 200 characters' }) @MaxLength(200) nonce: string;
  @IsInt({ message: 'exp must be unix seconds' }) exp: number;
}

/** A payload may not claim to live longer than this (its nonce is kept until it expires). */
const MAX_LIFETIME_SECONDS = 3600;

/**
 * Single sign-on from the store, as DESIGN.md says: the hex HMAC-SHA256 of the payload string
 * (constant-time), then expiry, then the nonce (works once; kept until the payload expires), then
 * the account: the one linked to this store customer, or a new one created and linked; an email
 * held by another account is refused (the store may not take over local accounts). The member
 * joins the community, and events kept for this customer are applied. One transaction.
 */
@Injectable()
export class SsoService {
  constructor(
    private readonly db: Db,
    private readonly repo: StoreRepository,
    private readonly identity: IdentityService,
    private readonly communities: CommunitiesService,
    private readonly policy: CommunityPolicy,
    private readonly inbound: InboundService,
    private readonly settings: WebhookSettings,
  ) {}

  async signIn(communityId: string, input: { payload: string; sig: string }, client: ClientInfo): Promise<AuthResultView> {
    const connection = await this.repo.connection(communityId);
    if (!connection) throw StoreErrors.notConnected();
    const now = this.settings.now();
    const secrets = liveSecrets(connection.sso_secret, connection.previous_sso_secret, connection.previous_until, now);
    if (!verifySsoSignature(secrets, input.payload, input.sig)) throw StoreErrors.badSsoSignature();
    const claims = this.parse(input.payload);
    const nowSeconds = Math.floor(now.getTime() / 1000);
    if (claims.exp <= nowSeconds) throw StoreErrors.ssoExpired();
    if (claims.exp > nowSeconds + MAX_LIFETIME_SECONDS) throw StoreErrors.badSsoPayload(`exp may be at most ${MAX_LIFETIME_SECONDS} seconds ahead`);

    return this.db.transaction(async () => {
      if (!(await this.repo.claimNonce(communityId, claims.nonce, new Date(claims.exp * 1000)))) throw StoreErrors.nonceReused();
      let userId = await this.repo.userOfCustomer(communityId, claims.storeCustomerId);
      let linkedNow = false;
      if (!userId) {
        if (await this.identity.userIdByEmail(claims.email)) throw StoreErrors.emailInUse();
        userId = await this.identity.createPasswordlessAccount({ email: claims.email, displayName: claims.name.trim().slice(0, 50) || 'Customer' });
        if (!(await this.repo.link(communityId, claims.storeCustomerId, userId, now))) throw StoreErrors.emailInUse();
        linkedNow = true;
      }
      // A banned member is refused (the whole sign-in rolls back).
      await this.policy.assertMay(communityId, userId, 'view');
      await this.communities.joinAsMember(communityId, userId);
      if (linkedNow) await this.inbound.applyPending(communityId, claims.storeCustomerId, userId);
      return this.identity.startSession(userId, client);
    });
  }

  private parse(payload: string): SsoPayload {
    let json: unknown;
    try {
      const text = Buffer.from(payload, 'base64').toString('utf8');
      if (Buffer.from(text, 'utf8').toString('base64') !== payload) throw new Error('not canonical base64');
      json = JSON.parse(text);
    } catch {
      throw StoreErrors.badSsoPayload('payload must be standard base64 of a JSON object');
    }
    if (!json || typeof json !== 'object' || Array.isArray(json)) throw StoreErrors.badSsoPayload('payload must be a JSON object');
    const claims = plainToInstance(SsoPayload, json);
    const errors = validateSync(claims, { forbidUnknownValues: false });
    if (errors.length) throw StoreErrors.badSsoPayload(Object.values(errors[0].constraints ?? {})[0] ?? `${errors[0].property} is invalid`);
    return claims;
  }
}

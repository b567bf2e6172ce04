import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsISO8601, IsNumber, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../../core/pagination/pagination';
import { SKU } from '../../threads/dto/threads.dto';
import { WEBHOOK_EVENT_TYPES } from '../webhook-events';

export class PutStoreDto {
  @ApiProperty({ example: 'https://shop.example.com/hearth/webhooks', description: 'http(s); must resolve to a public address' })
  @IsString()
  @MinLength(1)
  @MaxLength(2000)
  webhookUrl: string;

  @ApiPropertyOptional({ type: [String], enum: WEBHOOK_EVENT_TYPES, description: 'Event types to send (default: all but the high-volume ones)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  events?: string[];
}

export class StoreConnectionView {
  @ApiProperty() webhookUrl: string;
  @ApiProperty({ type: [String] }) events: string[];
  @ApiProperty({ description: 'false after the store answered 410 Gone; a PUT enables it again' }) enabled: boolean;
  @ApiPropertyOptional({ nullable: true, type: String }) disabledAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) disabledReason: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Until then the previous secrets still sign and verify' }) previousSecretsUntil: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
  @ApiPropertyOptional({ description: 'Only in the answer that created the connection (or rotated the secrets)' }) webhookSecret?: string;
  @ApiPropertyOptional() inboundSecret?: string;
  @ApiPropertyOptional() ssoSecret?: string;
}

export class DeliveriesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['pending', 'delivered', 'failed'] })
  @IsOptional()
  @IsIn(['pending', 'delivered', 'failed'])
  status?: 'pending' | 'delivered' | 'failed';

  @ApiPropertyOptional({ description: 'An event type' })
  @IsOptional()
  @IsIn(WEBHOOK_EVENT_TYPES, { message: 'type must be a known event type' })
  type?: string;
}

export class DeliveryAttemptView {
  @ApiProperty() at: string;
  @ApiPropertyOptional({ nullable: true, type: Number, description: 'null: no HTTP answer (timeout, network error, refused address)' }) statusCode: number | null;
  @ApiProperty() durationMs: number;
  @ApiProperty({ description: 'The first 1 KiB of the answer' }) response: string;
  @ApiPropertyOptional({ nullable: true, type: String }) error: string | null;
}

export class DeliveryView {
  @ApiProperty() id: string;
  @ApiProperty() eventId: string;
  @ApiProperty({ description: 'The webhook-id header: the same on every attempt and replay' }) webhookId: string;
  @ApiProperty() type: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] }) status: string;
  @ApiProperty() attemptCount: number;
  @ApiProperty({ type: [DeliveryAttemptView], description: 'The latest 20 attempts, oldest first' }) attempts: DeliveryAttemptView[];
  @ApiPropertyOptional({ nullable: true, type: String }) nextAttemptAt: string | null;
  @ApiProperty() createdAt: string;
  @ApiPropertyOptional({ nullable: true, type: String }) deliveredAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) failedAt: string | null;
  @ApiProperty({ description: 'The body sent: {type, timestamp, data}' }) payload: Record<string, unknown>;
}

export class DeliveryPageView {
  @ApiProperty({ type: [DeliveryView] }) items: DeliveryView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class RetryFailedDto {
  @ApiProperty({ description: 'ISO 8601: failed deliveries of events since then are sent again' })
  @IsISO8601({ strict: true }, { message: 'since must be an ISO 8601 date or time' })
  since: string;
}

export class RetryFailedView {
  @ApiProperty() replayed: number;
}

export class SkuFilterDto {
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(SKU, { message: 'sku is not a valid SKU' })
  sku?: string;
}

export class ReusablePhotosQueryDto extends IntersectionType(PageQueryDto, SkuFilterDto) {}

export class ReusablePhotoView {
  @ApiProperty() attachmentId: string;
  @ApiProperty({ description: 'The photo' }) url: string;
  @ApiProperty() contentType: string;
  @ApiProperty() width: number;
  @ApiProperty() height: number;
  @ApiProperty() postId: string;
  @ApiProperty() threadId: string;
  @ApiProperty() threadTitle: string;
  @ApiProperty({ description: 'The thread in the API' }) threadUrl: string;
  @ApiProperty() authorId: string;
  @ApiProperty({ type: [String] }) productSkus: string[];
  @ApiProperty({ description: 'When the author granted reuse consent' }) consentAt: string;
}

export class ReusablePhotoPageView {
  @ApiProperty({ type: [ReusablePhotoView] }) items: ReusablePhotoView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export const INBOUND_EVENT_TYPES = ['order.paid', 'order.refunded', 'customer.tier_changed'] as const;
export type InboundEventType = (typeof INBOUND_EVENT_TYPES)[number];

/** The envelope of an event from the store; `data` is checked per type once the signature holds. */
export class InboundEventDto {
  @ApiProperty({ enum: INBOUND_EVENT_TYPES })
  @IsIn(INBOUND_EVENT_TYPES, { message: `type must be one of ${INBOUND_EVENT_TYPES.join(', ')}` })
  type: InboundEventType;

  @ApiProperty({ description: 'ISO 8601' })
  @IsISO8601({ strict: true }, { message: 'timestamp must be an ISO 8601 date or time' })
  timestamp: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'order.paid {customerId, orderId, total, currency, items: [{sku, quantity}]}; order.refunded {customerId, orderId}; customer.tier_changed {customerId, tier}' })
  @IsObject()
  data: Record<string, unknown>;
}

const ID_MESSAGE = 'must be 1 to 200 characters';

export class OrderItemData {
  @Matches(SKU, { message: 'sku is not a valid SKU' }) sku: string;
  @IsInt() @Min(1) @Max(1_000_000) quantity: number;
}

export class OrderPaidData {
  @IsString() @MinLength(1, { message: ID_MESSAGE }) @MaxLength(200, { message: ID_MESSAGE }) customerId: string;
  @IsString() @MinLength(1, { message: ID_MESSAGE }) @MaxLength(200, { message: ID_MESSAGE }) orderId: string;
  @IsNumber({ maxDecimalPlaces: 2, allowNaN: false, allowInfinity: false }) @Min(0) @Max(1_000_000_000) total: number;
  @IsString() @MinLength(3) @MaxLength(3) @IsIn(CURRENCY_CODES(), { message: 'currency must be an ISO 4217 code in capitals' }) currency: string;
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(200) @IsObject({ each: true }) @ValidateNested({ each: true }) @Type(() => OrderItemData) items: OrderItemData[];
}

export class OrderRefundedData {
  @IsString() @MinLength(1, { message: ID_MESSAGE }) @MaxLength(200, { message: ID_MESSAGE }) customerId: string;
  @IsString() @MinLength(1, { message: ID_MESSAGE }) @MaxLength(200, { message: ID_MESSAGE }) orderId: string;
}

export class TierChangedData {
  @IsString() @MinLength(1, { message: ID_MESSAGE }) @MaxLength(200, { message: ID_MESSAGE }) customerId: string;
  @IsString() @MinLength(1) @MaxLength(50) tier: string;
}

/** ISO 4217 codes Node knows (no regular expression needed). */
function CURRENCY_CODES(): string[] {
  return (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('currency');
}

export class InboundResultView {
  @ApiProperty({ enum: ['applied', 'pending'], description: 'pending: the customer has not signed in yet; applied at their first sign-in' }) status: string;
  @ApiProperty() webhookId: string;
}

export class SsoDto {
  @ApiProperty({ description: 'Standard base64 (with padding) of JSON {storeCustomerId, email, name, nonce, exp}' })
  @IsString()
  @MinLength(1)
  @MaxLength(4000)
  payload: string;

  @ApiProperty({ description: 'Hex HMAC-SHA256 of payload keyed with the UTF-8 bytes of the SSO secret' })
  @IsString()
  @MinLength(64)
  @MaxLength(64)
  sig: string;
}

export class StoreMemberView {
  @ApiProperty() userId: string;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'The store\'s tier badge (from customer.tier_changed)' }) storeTier: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) storeTierChangedAt: string | null;
  @ApiProperty({ description: 'Linked to a store customer (signed in through the store)' }) linked: boolean;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Staff and the member themselves only' }) storeCustomerId?: string | null;
  @ApiProperty({ type: [String], description: 'SKUs the member bought (paid orders not refunded)' }) verifiedBuyerSkus: string[];
}

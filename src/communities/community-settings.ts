import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

interface SettingSpec {
  default: number;
  min: number;
  max: number;
  description: string;
}

/**
 * Every community setting, declared once: default, bounds, meaning. Defaults follow Discourse
 * and NodeBB. The PATCH DTO, the OpenAPI schema and `resolveSettings` are all built from this.
 */
export const COMMUNITY_SETTINGS = {
  postCooldownSeconds: { default: 5, min: 0, max: 3600, description: 'Seconds a member waits between posts' },
  newMemberPostCooldownSeconds: { default: 30, min: 0, max: 3600, description: 'Seconds a new member waits between posts' },
  newMemberMaxLinks: { default: 2, min: 0, max: 100, description: 'Links allowed in one post by a new member' },
  newMemberDays: { default: 1, min: 0, max: 365, description: 'A member is new until both newMemberDays and newMemberPosts are reached' },
  newMemberPosts: { default: 3, min: 0, max: 1000, description: 'Posts a member must have made to stop being new' },
  flagsToHide: { default: 3, min: 1, max: 100, description: 'Distinct members whose open reports hide a post until reviewed' },
  chatMessagesPer30Seconds: { default: 40, min: 1, max: 1000, description: 'Chat messages a member may send per 30 seconds' },
  newMemberChatMessagesPer30Seconds: { default: 20, min: 1, max: 1000, description: 'Chat messages a new member may send per 30 seconds' },
  pointsPendingHours: { default: 24, min: 0, max: 720, description: 'Moderation window before content points are approved' },
  responseTargetMinutes: { default: 240, min: 1, max: 10080, description: 'Staff first-response target for questions' },
  dailyPointsCap: { default: 200, min: 0, max: 1_000_000, description: 'Content points a member may earn per day (0: no cap)' },
  segmentCoreActiveDays: { default: 8, min: 1, max: 30, description: 'Active days in the last 30 that make a member segment A (core)' },
  churnQuietDays: { default: 30, min: 7, max: 365, description: 'Days without activity after which a once-active member is at churn risk' },
  editWindowMinutes: { default: 1440, min: 0, max: 525_600, description: 'Minutes after posting during which authors may edit their posts and thread titles, tags and SKUs (0: always)' },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof COMMUNITY_SETTINGS;
export type CommunitySettings = { [K in SettingName]: number };

export const SETTING_NAMES = Object.keys(COMMUNITY_SETTINGS) as SettingName[];

/** Stored values over defaults; values no longer within bounds (a bound tightened later) fall back to the default. */
export function resolveSettings(stored: Record<string, unknown> | null | undefined): CommunitySettings {
  const out = {} as CommunitySettings;
  for (const name of SETTING_NAMES) {
    const spec: SettingSpec = COMMUNITY_SETTINGS[name];
    const v = stored?.[name];
    out[name] = typeof v === 'number' && Number.isInteger(v) && v >= spec.min && v <= spec.max ? v : spec.default;
  }
  return out;
}

/** PATCH body: any subset of the settings; unknown names are rejected by the global ValidationPipe. */
export class UpdateCommunitySettingsDto implements Partial<CommunitySettings> {
  postCooldownSeconds?: number;
  newMemberPostCooldownSeconds?: number;
  newMemberMaxLinks?: number;
  newMemberDays?: number;
  newMemberPosts?: number;
  flagsToHide?: number;
  chatMessagesPer30Seconds?: number;
  newMemberChatMessagesPer30Seconds?: number;
  pointsPendingHours?: number;
  responseTargetMinutes?: number;
  dailyPointsCap?: number;
  segmentCoreActiveDays?: number;
  churnQuietDays?: number;
  editWindowMinutes?: number;
}

export class CommunitySettingsView implements CommunitySettings {
  postCooldownSeconds: number;
  newMemberPostCooldownSeconds: number;
  newMemberMaxLinks: number;
  newMemberDays: number;
  newMemberPosts: number;
  flagsToHide: number;
  chatMessagesPer30Seconds: number;
  newMemberChatMessagesPer30Seconds: number;
  pointsPendingHours: number;
  responseTargetMinutes: number;
  dailyPointsCap: number;
  segmentCoreActiveDays: number;
  churnQuietDays: number;
  editWindowMinutes: number;
}

// Decorate both classes from the one declaration above.
for (const name of SETTING_NAMES) {
  const spec: SettingSpec = COMMUNITY_SETTINGS[name];
  const proto = UpdateCommunitySettingsDto.prototype;
  IsOptional()(proto, name);
  IsInt({ message: `${name} must be an integer` })(proto, name);
  Min(spec.min, { message: `${name} must be at least ${spec.min}` })(proto, name);
  Max(spec.max, { message: `${name} must be at most ${spec.max}` })(proto, name);
  ApiPropertyOptional({ type: 'integer', minimum: spec.min, maximum: spec.max, default: spec.default, description: spec.description })(proto, name);
  ApiPropertyOptional({ type: 'integer', minimum: spec.min, maximum: spec.max, default: spec.default, description: spec.description })(
    CommunitySettingsView.prototype,
    name,
  );
}

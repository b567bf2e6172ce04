import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { CUSTOM_CSS_MAX_CHARS, HEX_COLOR, MIN_CONTRAST_WITH_WHITE } from '../community-look.css';

/** PUT /communities/:slug/look: absent fields stay as they are; null clears the logo or the colour. */
export class UpdateLookDto {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    format: 'uuid',
    description: 'An image the admin uploaded (POST /communities/:slug/uploads): cropped to a 256 px square (a square mark, like an app icon) and shown in the header; null removes the logo',
  })
  @IsOptional()
  @IsUUID('all', { message: 'logoUploadId must be the id of an upload' })
  logoUploadId?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: '#1a5fd0',
    pattern: HEX_COLOR.source,
    description: `#rrggbb; white text on it must have a contrast of at least ${MIN_CONTRAST_WITH_WHITE}:1 (WCAG AA), else 422 LOOK_REFUSED; null: the default theme's colour`,
  })
  @IsOptional()
  @IsString()
  @Matches(HEX_COLOR, { message: 'primaryColor must be a colour as #rrggbb' })
  primaryColor?: string | null;

  @ApiPropertyOptional({
    maxLength: CUSTOM_CSS_MAX_CHARS,
    description:
      'CSS applied after the default theme on the community\'s pages; "" removes it. Refused (422 LOOK_REFUSED, each problem with its line): ' +
      'at-rules other than @media, @supports, @keyframes, @container and @layer; url() and functions outside colours, maths, gradients, transforms and filters; ' +
      'behavior, -moz-binding, position: fixed, --primary and --primary-text; escapes outside strings; "javascript:", "</", "<!--"; CSS that does not parse',
  })
  @IsOptional()
  @IsString()
  @MaxLength(CUSTOM_CSS_MAX_CHARS, { message: `customCss may be at most ${CUSTOM_CSS_MAX_CHARS} characters` })
  customCss?: string;
}

export class LookView {
  @ApiProperty({ type: String, nullable: true, description: 'The logo (public, cached for a year: a new logo has a new URL)' })
  logoUrl: string | null;

  @ApiProperty({ type: String, nullable: true, example: '#1a5fd0', description: 'null: the default theme\'s colour' })
  primaryColor: string | null;

  @ApiProperty({ description: 'As the admin wrote it ("" for none)' })
  customCss: string;

  @ApiProperty({ type: String, nullable: true, description: 'The stylesheet the community\'s pages link (the colour and the checked CSS); null when there is nothing to apply' })
  stylesheetUrl: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'null: never set' })
  updatedAt: string | null;

  @ApiProperty({ type: 'integer', description: 'Counts changes; 0: never set' })
  version: number;
}

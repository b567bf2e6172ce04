import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { Metadata, OutputInfo, SharpOptions } from 'sharp';

/**
 * Validation and re-encoding of user-uploaded images ("buyer show" photos).
 *
 * Pure module: no Nest, no database, no HTTP. The type is decided by magic
 * bytes only (never by file name or declared content type), the header
 * dimensions are checked before any pixel is decoded, and the image is always
 * re-encoded so that no EXIF (GPS!), XMP, IPTC or ICC metadata survives.
 */

export const IMAGE_LIMITS = {
  maxBytes: 10 * 1024 * 1024,
  maxPixels: 40_000_000,
  maxWidth: 8000,
  maxHeight: 8000,
  outputMaxDimension: 2048,
} as const;

export interface ImageLimits {
  readonly maxBytes: number;
  readonly maxPixels: number;
  readonly maxWidth: number;
  readonly maxHeight: number;
  readonly outputMaxDimension: number;
}

export type ImageErrorCode =
  | 'UNSUPPORTED_IMAGE_TYPE'
  | 'IMAGE_TOO_LARGE'
  | 'IMAGE_TOO_MANY_PIXELS'
  | 'IMAGE_CORRUPT';

export class ImageRejectedError extends Error {
  constructor(
    readonly code: ImageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ImageRejectedError';
  }
}

export type SniffedImageType = 'jpeg' | 'png' | 'webp' | 'gif';
export type OutputImageFormat = 'jpeg' | 'png' | 'webp';

export interface ProcessedImage {
  data: Buffer;
  format: OutputImageFormat;
  contentType: string;
  extension: string;
  width: number;
  height: number;
  bytes: number;
  sha256: string;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;

function startsWith(input: Buffer, bytes: readonly number[], offset = 0): boolean {
  if (input.length < offset + bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) {
    if (input[offset + i] !== bytes[i]) return false;
  }
  return true;
}

function startsWithAscii(input: Buffer, text: string, offset = 0): boolean {
  if (input.length < offset + text.length) return false;
  return input.toString('latin1', offset, offset + text.length) === text;
}

/** Detects the image type from magic bytes only. Returns null for anything else. */
export function sniffImageType(input: Buffer): SniffedImageType | null {
  if (!Buffer.isBuffer(input)) return null;
  if (startsWith(input, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(input, PNG_MAGIC)) return 'png';
  if (startsWithAscii(input, 'RIFF') && startsWithAscii(input, 'WEBP', 8)) return 'webp';
  if (startsWithAscii(input, 'GIF87a') || startsWithAscii(input, 'GIF89a')) return 'gif';
  return null;
}

const OUTPUT: Record<SniffedImageType, { format: OutputImageFormat; contentType: string; extension: string }> = {
  jpeg: { format: 'jpeg', contentType: 'image/jpeg', extension: 'jpg' },
  png: { format: 'png', contentType: 'image/png', extension: 'png' },
  gif: { format: 'png', contentType: 'image/png', extension: 'png' },
  webp: { format: 'webp', contentType: 'image/webp', extension: 'webp' },
};

function resolveLimits(limits: Partial<ImageLimits> | undefined): ImageLimits {
  const merged: Record<keyof ImageLimits, number> = { ...IMAGE_LIMITS };
  for (const key of Object.keys(merged) as (keyof ImageLimits)[]) {
    const value = limits?.[key];
    if (value !== undefined) merged[key] = value;
    // A zero / non-integer limit would silently disable sharp's pixel guard.
    if (!Number.isSafeInteger(merged[key]) || merged[key] <= 0) {
      throw new RangeError(`Image limit ${key} must be a positive integer`);
    }
  }
  return merged;
}

function isPixelLimitError(err: unknown): boolean {
  return err instanceof Error && /exceeds pixel limit/i.test(err.message);
}

/** Maps a sharp failure to a rejection without leaking libvips messages or paths. */
function toRejection(err: unknown): ImageRejectedError {
  if (err instanceof ImageRejectedError) return err;
  if (isPixelLimitError(err)) {
    return new ImageRejectedError('IMAGE_TOO_MANY_PIXELS', 'Image dimensions exceed the allowed limit', {
      cause: err,
    });
  }
  return new ImageRejectedError('IMAGE_CORRUPT', 'Image data is corrupt or could not be decoded', { cause: err });
}

/**
 * Validates an uploaded image and re-encodes it without metadata.
 *
 * Throws ImageRejectedError with one of:
 * - IMAGE_TOO_LARGE: more than maxBytes (checked before sharp is involved);
 * - UNSUPPORTED_IMAGE_TYPE: not JPEG/PNG/WebP/GIF by magic bytes (SVG, HTML, PDF, ... never reach sharp);
 * - IMAGE_TOO_MANY_PIXELS: header dimensions over maxPixels / maxWidth / maxHeight (before decoding);
 * - IMAGE_CORRUPT: anything sharp cannot read or decode.
 */
export async function processImage(
  input: Buffer,
  limits: Partial<ImageLimits> = IMAGE_LIMITS,
): Promise<ProcessedImage> {
  const lim = resolveLimits(limits);

  if (!Buffer.isBuffer(input)) {
    throw new ImageRejectedError('UNSUPPORTED_IMAGE_TYPE', 'Image data must be a Buffer');
  }
  if (input.length > lim.maxBytes) {
    throw new ImageRejectedError('IMAGE_TOO_LARGE', `Image exceeds the maximum size of ${lim.maxBytes} bytes`);
  }

  const type = sniffImageType(input);
  if (type === null) {
    throw new ImageRejectedError('UNSUPPORTED_IMAGE_TYPE', 'Only JPEG, PNG, WebP and GIF images are accepted');
  }

  const inputOptions: SharpOptions = {
    limitInputPixels: lim.maxPixels,
    failOn: 'error',
    sequentialRead: true,
    // Animated GIF/WebP: only the first frame.
    pages: 1,
    page: 0,
  };

  // 1. Header only: dimensions are known without decoding any pixel data.
  let metadata: Metadata;
  try {
    metadata = await sharp(input, inputOptions).metadata();
  } catch (err) {
    throw toRejection(err);
  }

  // The decoder libvips picked must agree with the magic bytes.
  if (metadata.format !== type) {
    throw new ImageRejectedError('IMAGE_CORRUPT', 'Image data is corrupt or could not be decoded');
  }
  const { width, height } = metadata;
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0) {
    throw new ImageRejectedError('IMAGE_CORRUPT', 'Image data is corrupt or could not be decoded');
  }
  if (width > lim.maxWidth || height > lim.maxHeight || width * height > lim.maxPixels) {
    throw new ImageRejectedError(
      'IMAGE_TOO_MANY_PIXELS',
      `Image dimensions ${width}x${height} exceed the allowed limit`,
    );
  }

  // 2. Decode + re-encode. limitInputPixels stays on as a second guard.
  const out = OUTPUT[type];
  let pipeline = sharp(input, inputOptions)
    .rotate() // apply EXIF orientation; the orientation tag is not written out
    .resize({
      width: lim.outputMaxDimension,
      height: lim.outputMaxDimension,
      fit: 'inside',
      withoutEnlargement: true,
    });
  // No withMetadata()/keepExif()/keepXmp()/keepIccProfile(): sharp strips all of it by default.
  switch (out.format) {
    case 'jpeg':
      pipeline = pipeline.jpeg({ quality: 85, mozjpeg: true });
      break;
    case 'png':
      pipeline = pipeline.png({ compressionLevel: 6 });
      break;
    case 'webp':
      pipeline = pipeline.webp({ quality: 85 });
      break;
  }

  let data: Buffer;
  let info: OutputInfo;
  try {
    ({ data, info } = await pipeline.toBuffer({ resolveWithObject: true }));
  } catch (err) {
    throw toRejection(err);
  }

  return {
    data,
    format: out.format,
    contentType: out.contentType,
    extension: out.extension,
    width: info.width,
    height: info.height,
    bytes: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
  };
}

/** Avatars are squares of this many pixels. */
export const AVATAR_SIZE = 256;

/**
 * A square avatar from an image: its centre cropped to a square and scaled to `size` × `size`
 * (smaller images are enlarged), re-encoded as WebP without metadata. Validated like an upload, so
 * it takes raw input as safely as the stored (already re-encoded) uploads it is meant for.
 */
export async function squareAvatar(input: Buffer, size = AVATAR_SIZE): Promise<ProcessedImage> {
  const checked = await processImage(input);
  let data: Buffer;
  let info: OutputInfo;
  try {
    ({ data, info } = await sharp(checked.data, { limitInputPixels: IMAGE_LIMITS.maxPixels, failOn: 'error' })
      .resize({ width: size, height: size, fit: 'cover', position: 'centre' })
      .webp({ quality: 85 })
      .toBuffer({ resolveWithObject: true }));
  } catch (err) {
    throw toRejection(err);
  }
  return {
    data,
    format: 'webp',
    contentType: 'image/webp',
    extension: 'webp',
    width: info.width,
    height: info.height,
    bytes: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
  };
}

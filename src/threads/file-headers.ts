import type { FileAccess } from './attachments.service';

/**
 * The headers an uploaded image is served with (the API's `GET /uploads/:fileName` and the pages'
 * `/media/:fileName`): never treated as anything but an image; a photo of a public board is cached
 * publicly and may be embedded anywhere, any other only by our own pages and never cached.
 */
export function fileHeaders(contentType: string, access: FileAccess): Record<string, string> {
  const shared = access === 'public';
  return {
    'content-type': contentType,
    'content-disposition': 'inline',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
    'cache-control': shared ? 'public, max-age=31536000, immutable' : 'private, no-store',
    'cross-origin-resource-policy': shared ? 'cross-origin' : 'same-origin',
  };
}

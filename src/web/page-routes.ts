import { RequestMethod } from '@nestjs/common';
import type { RouteInfo } from '@nestjs/common/interfaces';

/**
 * The web pages' paths, kept out of the API's `/api/v1` prefix (app.ts). Nest applies these to
 * every controller: a pattern here must match no API route's path (none starts with c/, t/, login,
 * register, logout or assets/). Every page route also
 * carries the route config `page: true` (see `Page()`): the page CSP, no OpenAPI entry.
 */
export const PAGE_PATHS: RouteInfo[] = [
  { path: '/', method: RequestMethod.GET },
  { path: 'c/{*rest}', method: RequestMethod.ALL },
  { path: 't/{*rest}', method: RequestMethod.ALL },
  { path: 'login', method: RequestMethod.ALL },
  { path: 'register', method: RequestMethod.ALL },
  { path: 'logout', method: RequestMethod.ALL },
  { path: 'assets/{*rest}', method: RequestMethod.GET },
  // Uploaded photos for the pages (no API route starts with media/).
  { path: 'media/{*rest}', method: RequestMethod.GET },
  // Notifications (the API's own route is notifications: the page lives under me/, where no API route matches).
  { path: 'me/notifications', method: RequestMethod.GET },
  { path: 'me/notifications/{*rest}', method: RequestMethod.ALL },
  // Account pages (no API route starts with these).
  { path: 'forgot-password', method: RequestMethod.ALL },
  { path: 'reset-password', method: RequestMethod.ALL },
  { path: 'verify-email', method: RequestMethod.GET },
  { path: 'u/{*rest}', method: RequestMethod.GET },
  { path: 'settings', method: RequestMethod.GET },
  { path: 'settings/{*rest}', method: RequestMethod.ALL },
  // The platform admin's pages (no API route starts with admin).
  { path: 'admin', method: RequestMethod.ALL },
  { path: 'admin/{*rest}', method: RequestMethod.ALL },
];

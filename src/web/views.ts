import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { Eta } from 'eta';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { CommunityLookService } from '../communities/community-look.service';
import { Viewer } from './web-session.service';

/**
 * Templates and assets live beside this file in the sources (src/web/views, src/web/assets). The
 * build (tsc) copies no files, so compiled code (dist/src/web) finds them in the sources' folder
 * next to dist; a copied folder beside the compiled file wins when there is one.
 */
function sourceFolder(name: string): string {
  const candidates = [join(__dirname, name), join(__dirname, '..', '..', '..', 'src', 'web', name)];
  const found = candidates.find((dir) => existsSync(dir));
  if (!found) throw new Error(`web ${name} not found in ${candidates.join(' or ')}`);
  return found;
}

export interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** What every page's layout needs besides its own data. */
export interface PageMeta {
  title: string;
  /** Path of the page's canonical URL (made absolute with PUBLIC_URL). */
  canonicalPath: string;
  description?: string;
  /** The community the page belongs to (its name in the header, its search box). Views.page adds its brand look: lookCss (a stylesheet path) and logoUrl. */
  community?: { slug: string; name: string; lookCss?: string | null; logoUrl?: string | null } | null;
  /** The brand look's colour without its custom CSS (the look's own admin page, so CSS that breaks pages can still be fixed there). */
  baseLook?: boolean;
  noindex?: boolean;
  /** Extra scripts by asset name (`thread.js`). */
  scripts?: string[];
  /** Data for scripts, as data-* attributes on <body> (no inline script). */
  bodyData?: Record<string, string>;
}

/**
 * Eta templates (auto-escaped `<%= %>`; `<%~ %>` only for HTML the server sanitized) and static
 * assets served from memory under content-hashed names (`/assets/app.3f2a9c1d.css`), so they are
 * cached for a year and a new release changes their URLs. socket.io-client's browser bundle comes
 * from node_modules (no build step).
 */
@Injectable()
export class Views {
  private readonly eta: Eta;
  private readonly assets = new Map<string, Asset>();
  private readonly urls = new Map<string, string>();
  readonly publicUrl: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig, private readonly looks: CommunityLookService) {
    this.publicUrl = config.publicUrl;
    this.eta = new Eta({ views: sourceFolder('views'), autoEscape: true, autoTrim: false, cache: true });
    const folder = sourceFolder('assets');
    for (const name of readdirSync(folder)) this.addAsset(name, readFileSync(join(folder, name)));
    const socketIo = join(dirname(require.resolve('socket.io-client')), '..', '..', 'dist', 'socket.io.min.js');
    if (existsSync(socketIo)) this.addAsset('socket.io.min.js', readFileSync(socketIo));
    // uPlot (the staff dashboard's charts, docs/readme/staff-pages.md): its browser bundle and stylesheet.
    const uplot = join(dirname(require.resolve('uplot')), '..', 'dist');
    for (const [file, name] of [['uPlot.iife.min.js', 'uplot.min.js'], ['uPlot.min.css', 'uplot.min.css']]) {
      if (existsSync(join(uplot, file))) this.addAsset(name, readFileSync(join(uplot, file)));
    }
  }

  /** The hashed URL of an asset by its plain name; undefined when it is not there (socket.io-client missing: no live updates). */
  asset(name: string): string | undefined {
    return this.urls.get(name);
  }

  /** The asset served at a hashed file name. */
  served(fileName: string): Asset | undefined {
    return this.assets.get(fileName);
  }

  /** A page: the template's HTML inside the layout. */
  page(template: string, meta: PageMeta, viewer: Viewer, data: Record<string, unknown> = {}): string {
    // Signed-in viewers get the live bell (bell.js, on its own socket signed in by the session cookie).
    const names = [...new Set(['app.js', ...(meta.scripts ?? []), ...(viewer.user ? ['socket.io.min.js', 'bell.js'] : [])])];
    const scripts = names.map((s) => this.asset(s)).filter((s): s is string => Boolean(s));
    const bodyData = Object.entries(meta.bodyData ?? {}).map(([key, value]) => [`data-${kebab(key)}`, value]);
    return this.eta.render(template, {
      ...data,
      meta: { ...meta, canonical: this.publicUrl + meta.canonicalPath, community: meta.community ? { ...meta.community, ...this.looks.forPage(meta.community.slug, meta.baseLook) } : meta.community },
      viewer,
      assets: { css: this.asset('app.css'), logo: this.asset('logo.svg'), scripts },
      bodyData,
      siteName: 'Hearth',
      date: formatDate,
      // Our own absolute URLs (photos) as paths: the page's CSP allows images from its own origin.
      // Uploaded photos through /media (the page's session cookie decides who may see them; MediaController).
      local: (u: string) => this.localPath(u),
      // A post's HTML with its inline photos (markdown images of our uploads) through /media too.
      postHtml: (html: string) => this.postHtml(html),
    });
  }

  /**
   * The sanitizer writes an inline photo as `<img src="...">` with the src first, as the member wrote
   * it: `/api/v1/uploads/<name>` or the same on PUBLIC_URL. Those become `/media/<name>`, which the
   * page's cookie opens (the API route wants a bearer token, so a members-only board's photo would
   * not show); any other src is left alone.
   */
  postHtml(html: string): string {
    const media = '<img src="/media/';
    return html.split(`<img src="${UPLOADS_PATH}`).join(media).split(`<img src="${this.publicUrl}${UPLOADS_PATH}`).join(media);
  }

  /** Our own absolute URL as a path; an uploaded photo's API URL as its /media path. */
  private localPath(url: string): string {
    if (!url.startsWith(`${this.publicUrl}/`)) return url;
    const path = url.slice(this.publicUrl.length);
    return path.startsWith(UPLOADS_PATH) ? `/media/${path.slice(UPLOADS_PATH.length)}` : path;
  }

  private addAsset(name: string, body: Buffer) {
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
    const ext = extname(name);
    const hashed = `${name.slice(0, name.length - ext.length)}.${hash}${ext}`;
    this.assets.set(hashed, { body, contentType: CONTENT_TYPES[ext] ?? 'application/octet-stream', etag: `"${hash}"` });
    this.urls.set(name, `/assets/${hashed}`);
  }
}

const UPLOADS_PATH = '/api/v1/uploads/';

const DATE_FORMAT = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

/** A time as pages show it ("30 Nov 2026, 12:40 UTC"); the ISO value goes in <time datetime>. */
export function formatDate(iso: string): string {
  return `${DATE_FORMAT.format(new Date(iso))} UTC`;
}

function kebab(name: string): string {
  let out = '';
  for (const ch of name) out += ch >= 'A' && ch <= 'Z' ? `-${ch.toLowerCase()}` : ch;
  return out;
}

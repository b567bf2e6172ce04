import { DigestThread } from '../threads/live-posts.service';
import { TYPE_DESCRIPTIONS, NotificationType } from './notification-types';
import { NotificationRow } from './notifications.repository';
import { threadUrl } from './notification-rules';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  let out = '';
  for (const c of s) out += ESCAPES[c] ?? c;
  return out;
}

/** The first `max` characters of a text with its runs of whitespace made single spaces (no regex: user input). */
export function excerptOf(text: string, max = 280): string {
  let out = '';
  let space = false;
  for (const c of text) {
    const isSpace = c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\f' || c === '\v';
    if (isSpace) space = out.length > 0;
    else {
      if (space) out += ' ';
      space = false;
      out += c;
    }
    if (out.length >= max) return `${out.slice(0, max - 1)}…`;
  }
  return out;
}

function layout(title: string, bodyHtml: string, unsubscribeUrl: string, unsubscribeWhat: string): string {
  return `<!doctype html><html><body style="font-family:sans-serif;max-width:560px">
<h2 style="font-size:18px">${escapeHtml(title)}</h2>
${bodyHtml}
<p style="color:#777;font-size:12px">You get this because of your notification preferences. <a href="${escapeHtml(unsubscribeUrl)}">Stop ${escapeHtml(unsubscribeWhat)}</a>.</p>
</body></html>`;
}

/** One notification as an email: plain text and simple HTML, with the unsubscribe link in both. */
export function renderImmediate(n: NotificationRow, publicUrl: string, unsubscribeUrl: string): RenderedEmail {
  const link = publicUrl + n.url;
  const what = `emails about: ${TYPE_DESCRIPTIONS[n.type as NotificationType] ?? n.type}`;
  const text = [n.title, '', n.excerpt, '', `Open it: ${link}`, '', `Stop ${what}: ${unsubscribeUrl}`].filter((l, i, all) => !(l === '' && all[i - 1] === '')).join('\n');
  const html = layout(
    n.title,
    `${n.excerpt ? `<blockquote style="color:#333">${escapeHtml(n.excerpt)}</blockquote>` : ''}<p><a href="${escapeHtml(link)}">Open it</a></p>`,
    unsubscribeUrl,
    what,
  );
  return { subject: n.title, text, html };
}

export interface DigestCommunity {
  name: string;
  threads: DigestThread[];
}

/** The digest: unread notifications since the last one, then each community's top new threads. */
export function renderDigest(items: NotificationRow[], communities: DigestCommunity[], publicUrl: string, unsubscribeUrl: string, frequency: string): RenderedEmail {
  const subject = `Your ${frequency} digest: ${items.length} unread notification${items.length === 1 ? '' : 's'}`;
  const lines = [subject, ''];
  for (const n of items) lines.push(`- ${n.title}`, `  ${publicUrl}${n.url}`);
  let html = `<ul>${items.map((n) => `<li><a href="${escapeHtml(publicUrl + n.url)}">${escapeHtml(n.title)}</a>${n.excerpt ? `<br><span style="color:#555">${escapeHtml(n.excerpt)}</span>` : ''}</li>`).join('')}</ul>`;
  for (const c of communities.filter((c) => c.threads.length)) {
    lines.push('', `Top new threads in ${c.name}:`);
    for (const t of c.threads) lines.push(`- ${t.title} (${t.replyCount} replies)`, `  ${publicUrl}${threadUrl(t.id)}`);
    html += `<h3 style="font-size:15px">Top new threads in ${escapeHtml(c.name)}</h3><ul>${c.threads
      .map((t) => `<li><a href="${escapeHtml(publicUrl + threadUrl(t.id))}">${escapeHtml(t.title)}</a> (${t.replyCount} replies)</li>`)
      .join('')}</ul>`;
  }
  lines.push('', `Stop the digest: ${unsubscribeUrl}`);
  return { subject, text: lines.join('\n'), html: layout(subject, html, unsubscribeUrl, 'the digest') };
}

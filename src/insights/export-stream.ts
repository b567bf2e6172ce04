import { Readable } from 'node:stream';
import { CommunityContext } from '../core/auth/actor';
import { CommonErrors } from '../core/errors/app-error';
import { csvLine, EXPORT_COLUMNS } from './insights.mappers';
import { ProfilesService } from './profiles.service';

export type ExportFormat = 'ndjson' | 'csv';

/**
 * The engagement export as a stream of lines (NDJSON objects, or RFC 4180 CSV with a header row) and
 * the headers it is sent with; shared by the API route and the admin's export page, so both send the
 * same bytes, one page of members in memory at a time.
 */
export function engagementExport(
  profiles: ProfilesService,
  community: CommunityContext,
  query: { format?: ExportFormat; segment?: string; since?: string },
): { headers: Record<string, string>; body: Readable } {
  const format = query.format ?? 'ndjson';
  // Checked before the first byte: a problem found while streaming could no longer be a 400.
  if (query.since && Number.isNaN(Date.parse(query.since))) throw CommonErrors.validation([{ field: 'since', message: 'since must be a valid date' }]);
  const rows = profiles.exportRows(community, { segment: query.segment, since: query.since });
  async function* lines(): AsyncGenerator<string> {
    let columns: readonly string[] | null = null;
    for await (const row of rows) {
      if (format === 'ndjson') {
        yield `${JSON.stringify(row)}\n`;
        continue;
      }
      if (!columns) {
        columns = EXPORT_COLUMNS.filter((c) => c in row);
        yield csvLine([...columns]);
      }
      yield csvLine(columns.map((c) => row[c]));
    }
    if (format === 'csv' && !columns) yield csvLine(EXPORT_COLUMNS.filter((c) => c !== 'email'));
  }
  const name = `engagement-${community.slug}.${format === 'csv' ? 'csv' : 'ndjson'}`;
  return {
    headers: {
      'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      'content-disposition': `attachment; filename="${name}"`,
      'cache-control': 'private, no-store',
    },
    body: Readable.from(lines()),
  };
}

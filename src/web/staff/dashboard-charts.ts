import type { DashboardView } from '../../insights/dto/insights.dto';
import { EARN_RULE_NAMES, EARN_RULES } from '../../loyalty/loyalty-rules';
import type { SearchTermCount } from '../../search/search-terms.service';
import { RULE_LABELS } from './loyalty-admin.controller';
import type { FieldErrors } from '../forms';

const DAY_MS = 86_400_000;
/** The oldest day the range picker accepts (no community is older). */
export const EARLIEST_DAY = '2020-01-01';
/** The longest range, in days (the insights API's limit, reportRange: 366 days). */
export const MAX_RANGE_DAYS = 366;
export const PRESETS = [7, 30, 90] as const;
/** Ranges longer than this default to weekly buckets. */
const DAILY_UP_TO_DAYS = 92;

export interface DashboardRange {
  /** First day (YYYY-MM-DD, UTC), inclusive. */
  from: string;
  /** Last day (YYYY-MM-DD, UTC), inclusive. */
  to: string;
  granularity: 'day' | 'week';
  /** The preset the range came from (7, 30, 90), if any. */
  days: number | null;
}

export interface RangeForm {
  values: { from: string; to: string; granularity: string };
  errors: FieldErrors;
  range: DashboardRange | null;
}

export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function addDaysTo(day: string, n: number): string {
  return isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS));
}

/** A real calendar day written YYYY-MM-DD (not 2026-02-30). */
function validDay(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const t = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(t) && isoDay(new Date(t)) === value;
}

/**
 * The dashboard's date range from the picker's query (`?days=7|30|90`, or `?from=&to=` days, and
 * `granularity`), checked with bounds: real days, from on or before to, neither before
 * EARLIEST_DAY nor after today, at most MAX_RANGE_DAYS days. Errors by field, for the form.
 */
export function parseRange(query: Record<string, unknown>, today: string): RangeForm {
  const str = (v: unknown) => (typeof v === 'string' ? v.trim() : v === undefined ? '' : null);
  const errors: FieldErrors = {};
  const daysRaw = str(query.days);
  let from = str(query.from);
  let to = str(query.to);
  const granularityRaw = str(query.granularity);
  let days: number | null = null;
  if (daysRaw === null || (daysRaw !== '' && !PRESETS.some((p) => String(p) === daysRaw))) {
    errors.from = `Choose one of the presets (${PRESETS.join(', ')} days) or enter the dates`;
  } else if (daysRaw !== '' && !from && !to) {
    days = Number(daysRaw);
    from = addDaysTo(today, -(days - 1));
    to = today;
  }
  if (!errors.from && !from && !to) {
    days = 30;
    from = addDaysTo(today, -29);
    to = today;
  }
  const values = { from: from ?? '', to: to ?? '', granularity: granularityRaw ?? '' };
  if (!errors.from) {
    if (!from) errors.from = 'Enter the first day';
    else if (!validDay(from)) errors.from = 'Enter the first day as a date (YYYY-MM-DD)';
    else if (from < EARLIEST_DAY) errors.from = `The first day can be ${EARLIEST_DAY} at the earliest`;
    else if (from > today) errors.from = 'The first day cannot be in the future';
  }
  if (!to) errors.to = 'Enter the last day';
  else if (!validDay(to)) errors.to = 'Enter the last day as a date (YYYY-MM-DD)';
  else if (to > today) errors.to = 'The last day cannot be after today';
  else if (to < EARLIEST_DAY) errors.to = `The last day can be ${EARLIEST_DAY} at the earliest`;
  if (!errors.from && !errors.to && from && to) {
    if (from > to) errors.to = 'The last day must be on or after the first day';
    else if (spanDays(from, to) > MAX_RANGE_DAYS) errors.to = `The range can be ${MAX_RANGE_DAYS} days at most`;
  }
  if (granularityRaw === null || (granularityRaw !== '' && granularityRaw !== 'day' && granularityRaw !== 'week')) {
    errors.granularity = 'Choose days or weeks';
  }
  if (Object.keys(errors).length || !from || !to) return { values, errors, range: null };
  const granularity = granularityRaw === 'day' || granularityRaw === 'week' ? granularityRaw : spanDays(from, to) > DAILY_UP_TO_DAYS ? 'week' : 'day';
  return { values: { from, to, granularity }, errors, range: { from, to, granularity, days } };
}

/** Days in [from, to], both included. */
export function spanDays(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
}

// ---- the charts: each one a figure with its numbers in a table (the table is what dashboard.js draws) ----

export type ChartUnit = 'count' | 'share' | 'seconds';

export interface ChartColumn {
  label: string;
  /** Only in the table (a count beside a share, the previous period): not drawn. */
  tableOnly?: boolean;
  unit?: ChartUnit;
}

export interface ChartRow {
  label: string;
  /** For series: the bucket's first day (x of the line chart). */
  x?: string;
  href?: string;
  cells: Array<{ value: number | null; text: string }>;
}

export interface Chart {
  id: string;
  title: string;
  kind: 'line' | 'bar';
  unit: ChartUnit;
  caption: string;
  /** The first column's heading (the rows' labels). */
  rowHeading: string;
  columns: ChartColumn[];
  rows: ChartRow[];
}

export interface Names {
  users: Map<string, string>;
  boards: Map<string, string>;
  memberHref: (userId: string) => string;
}

const SHORT_DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : new Intl.NumberFormat('en-GB').format(n);
}

export function formatShare(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : `${Math.round(n * 1000) / 10}%`;
}

/** A duration for people: "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function formatSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined) return '–';
  const abs = Math.abs(Math.round(s));
  if (abs < 60) return `${abs} s`;
  const min = Math.floor(abs / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

const cell = (value: number | null | undefined, unit: ChartUnit = 'count') => ({
  value: value ?? null,
  text: unit === 'share' ? formatShare(value) : unit === 'seconds' ? formatSeconds(value) : formatCount(value),
});

interface ResponseFigures {
  byStaff?: Array<{ userId: string; answered: number; p50Seconds: number | null; withinTarget: number }>;
  questions?: number;
  answered?: number;
  withinTarget?: number;
  firstResponseSeconds?: { p50: number | null; p90: number | null };
  within?: Record<'1h' | '4h' | '24h', number>;
}

interface CsatFigures {
  ratings: number;
  csat: number | null;
  byBoard: Array<{ key: string; ratings: number; csat: number }>;
  byProduct: Array<{ key: string; ratings: number; csat: number }>;
  byStaff: Array<{ key: string; ratings: number; csat: number }>;
}

/** "; first answers took 12 min (median) and 2 h (90th percentile)", when some were answered. */
function timing(r: ResponseFigures, what: string): string {
  if (!r.answered || r.firstResponseSeconds?.p50 === null || r.firstResponseSeconds?.p50 === undefined) return '';
  return `; ${what} took ${formatSeconds(r.firstResponseSeconds.p50)} (median) and ${formatSeconds(r.firstResponseSeconds.p90)} (90th percentile)`;
}

/** A rule as the loyalty settings page names it (`reply_created`: "A reply"); other entries by their rule. */
function ruleLabel(rule: string): string {
  const name = EARN_RULE_NAMES.find((n) => EARN_RULES[n].rule === rule);
  return name ? RULE_LABELS[name] : rule;
}

/** The dashboard's charts from the insights dashboard (only figures it has: nothing invented). */
export function buildCharts(d: DashboardView, targetMinutes: number, names: Names): Chart[] {
  const week = d.granularity === 'week';
  const seriesRow = (p: DashboardView['series'][number], cells: ChartRow['cells']): ChartRow => ({
    label: `${week ? 'Week of ' : ''}${SHORT_DAY.format(new Date(`${p.start}T00:00:00Z`))}`,
    x: p.start,
    cells,
  });
  const bucket = week ? 'Week' : 'Day';
  const charts: Chart[] = [
    {
      id: 'active', title: 'Active members', kind: 'line', unit: 'count', rowHeading: bucket,
      caption: `Members active each day (DAU${week ? ', averaged over the week' : ''}), in the 7 days (WAU) and the 30 days (MAU) ending the ${week ? 'week' : 'day'}.`,
      columns: [{ label: 'DAU' }, { label: 'WAU' }, { label: 'MAU' }],
      rows: d.series.map((p) => seriesRow(p, [cell(p.dau), cell(p.wau), cell(p.mau)])),
    },
    {
      id: 'stickiness', title: 'Stickiness', kind: 'line', unit: 'share', rowHeading: bucket,
      caption: 'DAU / MAU: the share of the month’s active members who come back on a given day.',
      columns: [{ label: 'DAU / MAU', unit: 'share' }],
      rows: d.series.map((p) => seriesRow(p, [cell(p.stickiness, 'share')])),
    },
    {
      id: 'content', title: 'New threads, questions and replies', kind: 'line', unit: 'count', rowHeading: bucket,
      caption: 'Threads started (questions included), questions asked and replies posted.',
      columns: [{ label: 'Threads' }, { label: 'Questions' }, { label: 'Replies' }, { label: 'New members' }],
      rows: d.series.map((p) => seriesRow(p, [cell(p.threads), cell(p.questions), cell(p.replies), cell(p.newMembers)])),
    },
  ];
  const qa = d.qa as ResponseFigures;
  if (qa && qa.within) {
    charts.push({
      id: 'answered', title: 'Questions answered by staff', kind: 'bar', unit: 'share', rowHeading: 'Answered',
      caption: `Of the ${formatCount(qa.questions)} questions asked in the range, ${formatCount(qa.answered)} ${qa.answered === 1 ? 'has' : 'have'} a staff answer${timing(qa, 'first answers')}.`,
      columns: [{ label: 'Share of questions', unit: 'share' }],
      rows: [
        { label: `Within the target (${formatSeconds(targetMinutes * 60)})`, cells: [cell(qa.withinTarget ?? null, 'share')] },
        { label: 'Within 1 hour', cells: [cell(qa.within['1h'], 'share')] },
        { label: 'Within 4 hours', cells: [cell(qa.within['4h'], 'share')] },
        { label: 'Within 24 hours', cells: [cell(qa.within['24h'], 'share')] },
      ],
    });
  }
  if (qa && qa.byStaff) {
    charts.push({
      id: 'answered-staff', title: 'First answers by staff member', kind: 'bar', unit: 'count', rowHeading: 'Staff member',
      caption: `Questions of the range each staff member gave the first staff answer to, the median time to it, and the share within the target (${formatSeconds(targetMinutes * 60)}).`,
      columns: [{ label: 'First answers' }, { label: 'Median time', unit: 'seconds', tableOnly: true }, { label: 'Within the target', unit: 'share', tableOnly: true }],
      rows: qa.byStaff.map((s) => ({
        label: names.users.get(s.userId) ?? 'A former member',
        href: names.memberHref(s.userId),
        cells: [cell(s.answered), cell(s.p50Seconds, 'seconds'), cell(s.withinTarget, 'share')],
      })),
    });
  }
  const support = d.support as ResponseFigures | null;
  if (support && support.within) {
    charts.push({
      id: 'support', title: 'Support chat response times', kind: 'bar', unit: 'share', rowHeading: 'First staff reply',
      caption: `${formatCount(support.questions)} support chats requested, ${formatCount(support.answered)} answered by staff${timing(support, 'first replies')}.`,
      columns: [{ label: 'Share of chats', unit: 'share' }],
      rows: [
        { label: 'Within 1 hour', cells: [cell(support.within['1h'], 'share')] },
        { label: 'Within 4 hours', cells: [cell(support.within['4h'], 'share')] },
        { label: 'Within 24 hours', cells: [cell(support.within['24h'], 'share')] },
      ],
    });
    charts.push({
      id: 'chat', title: 'Support requests and chat messages', kind: 'line', unit: 'count', rowHeading: bucket,
      caption: 'Support chats requested and chat messages sent.',
      columns: [{ label: 'Support requests' }, { label: 'Chat messages' }],
      rows: d.series.map((p) => seriesRow(p, [cell(p.supportRequests), cell(p.chatMessages)])),
    });
  }
  const csat = d.csat as unknown as CsatFigures;
  const overall = `Overall: ${formatShare(csat.csat)} of ${formatCount(csat.ratings)} ratings were 4 or 5.`;
  const csatColumns: ChartColumn[] = [{ label: 'CSAT', unit: 'share' }, { label: 'Ratings', tableOnly: true }];
  const csatRows = (list: CsatFigures['byBoard'], label: (key: string) => string, href?: (key: string) => string) =>
    list.map((g) => ({ label: label(g.key), href: href?.(g.key), cells: [cell(g.csat, 'share'), cell(g.ratings)] }));
  charts.push(
    { id: 'csat-board', title: 'CSAT by board', kind: 'bar', unit: 'share', rowHeading: 'Board', caption: overall, columns: csatColumns, rows: csatRows(csat.byBoard, (k) => names.boards.get(k) ?? 'A removed board') },
    { id: 'csat-product', title: 'CSAT by product', kind: 'bar', unit: 'share', rowHeading: 'Product (SKU)', caption: 'Ratings of questions about each product.', columns: csatColumns, rows: csatRows(csat.byProduct, (k) => k) },
    {
      id: 'csat-staff', title: 'CSAT by staff member', kind: 'bar', unit: 'share', rowHeading: 'Staff member', caption: 'By the staff member who answered the question or the chat.', columns: csatColumns,
      rows: csatRows(csat.byStaff, (k) => names.users.get(k) ?? 'A former member', names.memberHref),
    },
    {
      id: 'points', title: 'Points issued and redeemed', kind: 'line', unit: 'count', rowHeading: bucket, caption: 'Loyalty points earned by members and spent on rewards.',
      columns: [{ label: 'Issued' }, { label: 'Redeemed' }],
      rows: d.series.map((p) => seriesRow(p, [cell(p.pointsIssued), cell(p.pointsRedeemed)])),
    },
  );
  charts.push({
    id: 'points-rule', title: 'Points earned by rule', kind: 'bar', unit: 'count', rowHeading: 'Rule',
    caption: 'Loyalty points members earned in the range, by the rule that gave them (before reversals).',
    columns: [{ label: 'Points' }],
    rows: (d.pointsByRule ?? []).map((p) => ({ label: ruleLabel(p.key), cells: [cell(p.count)] })),
  });
  const segLabels: Record<string, string> = { A: 'A: core', B: 'B: regular', C: 'C: at risk or dormant' };
  charts.push({
    id: 'segments', title: 'Segments', kind: 'bar', unit: 'count', rowHeading: 'Segment',
    caption: 'Members by segment at the end of the range, against the end of the previous period of the same length.',
    columns: [{ label: 'Members' }, { label: 'Previous period', tableOnly: true }, { label: 'Change', tableOnly: true }],
    rows: ['A', 'B', 'C'].map((s) => {
      const seg = d.segments[s] ?? { count: 0, previous: null, change: null };
      const change = seg.change === null ? cell(null) : { value: seg.change, text: seg.change > 0 ? `+${formatCount(seg.change)}` : formatCount(seg.change) };
      return { label: segLabels[s], cells: [cell(seg.count), cell(seg.previous), change] };
    }),
  });
  charts.push(
    { id: 'products', title: 'Top products', kind: 'bar', unit: 'count', rowHeading: 'Product (SKU)', caption: 'Products by threads that mention them.', columns: [{ label: 'Threads' }], rows: d.topProducts.map((p) => ({ label: p.key, cells: [cell(p.count)] })) },
    { id: 'tags', title: 'Top tags', kind: 'bar', unit: 'count', rowHeading: 'Tag', caption: 'Tags by threads that carry them.', columns: [{ label: 'Threads' }], rows: d.topTags.map((p) => ({ label: p.key, cells: [cell(p.count)] })) },
    {
      id: 'engaged', title: 'Most engaged members', kind: 'bar', unit: 'count', rowHeading: 'Member', caption: 'Contribution in the range: a thread counts 3, a reply 2, a chat message 1.',
      columns: [{ label: 'Contribution' }, { label: 'Active days', tableOnly: true }],
      rows: d.mostEngaged.map((m) => ({ label: names.users.get(m.userId) ?? 'A former member', href: names.memberHref(m.userId), cells: [cell(m.contribution), cell(m.activeDays)] })),
    },
  );
  return charts;
}

/** What customers searched for in the range, and what found nothing (the search module's counts). */
export function searchCharts(terms: { top: SearchTermCount[]; noResults: SearchTermCount[] }): Chart[] {
  return [
    {
      id: 'searches', title: 'Top searches', kind: 'bar', unit: 'count', rowHeading: 'Search',
      caption: 'What members and guests searched for most (first pages of searches; the text lowercased).',
      columns: [{ label: 'Searches' }, { label: 'Found nothing', tableOnly: true }],
      rows: terms.top.map((t) => ({ label: t.term, cells: [cell(t.searches), cell(t.zeroResults)] })),
    },
    {
      id: 'no-results', title: 'Searches that found nothing', kind: 'bar', unit: 'count', rowHeading: 'Search',
      caption: 'What people looked for and did not find: topics for a guide, an FAQ answer or a product page.',
      columns: [{ label: 'Found nothing' }, { label: 'Searches', tableOnly: true }],
      rows: terms.noResults.map((t) => ({ label: t.term, cells: [cell(t.zeroResults), cell(t.searches)] })),
    },
  ];
}

/** The figures above the charts. */
export function headlineFigures(d: DashboardView) {
  const t = d.totals;
  return [
    { label: 'Members', text: formatCount(t.members) },
    { label: 'New members', text: formatCount(t.newMembers) },
    { label: 'Average DAU', text: formatCount(t.dau) },
    { label: 'MAU', text: formatCount(t.mau) },
    { label: 'Stickiness', text: formatShare(t.stickiness) },
    { label: 'Threads', text: formatCount(t.threads) },
    { label: 'Questions', text: formatCount(t.questions) },
    { label: 'Replies', text: formatCount(t.replies) },
  ];
}

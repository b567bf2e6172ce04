import { Finding } from './checks';
import { Operation } from './openapi';
import { BuiltRequest, describeRequest, excerpt } from './send';

export interface Failure extends Finding {
  op: string;
  inputClass: string;
  caller: string;
  status: number;
  code?: string;
  request: BuiltRequest;
  answer: string;
}

interface Group {
  key: string;
  first: Failure;
  count: number;
  callers: Set<string>;
  codes: Set<string>;
}

/** Failures grouped by cause, operation, input class and status, each with its first example. */
export function groupFailures(failures: Failure[]): Group[] {
  const groups = new Map<string, Group>();
  for (const f of failures) {
    const key = [f.cause, f.op, f.inputClass, f.status].join(' | ');
    const group = groups.get(key) ?? { key, first: f, count: 0, callers: new Set<string>(), codes: new Set<string>() };
    group.count++;
    group.callers.add(f.caller);
    if (f.code) group.codes.add(f.code);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => a.key.localeCompare(b.key));
}

export function formatReport(failures: Failure[], replay: string): string {
  const groups = groupFailures(failures);
  const lines = [`${failures.length} failures in ${groups.length} groups; replay with ${replay}`];
  let cause = '';
  for (const g of groups) {
    if (g.first.cause !== cause) {
      cause = g.first.cause;
      const inCause = groups.filter((x) => x.first.cause === cause);
      lines.push('', `## ${cause}: ${inCause.length} groups, ${new Set(inCause.map((x) => x.first.op)).size} operations`);
    }
    const f = g.first;
    lines.push(
      `- ${f.op} | ${f.inputClass} | ${f.status}${g.codes.size ? ` ${[...g.codes].join('/')}` : ''} | ×${g.count} (${[...g.callers].join(', ')})`,
      `    ${f.message}`,
      `    request: ${describeRequest(f.request, 160)}`,
      `    answer: ${excerpt(f.answer.replace(/\s+/g, ' '), 240)}`,
    );
  }
  return lines.join('\n');
}

/** Operations whose path parameters have no fixture pool: each needs one in fixtures.ts before it can be fuzzed. */
export function missingPools(ops: Operation[], has: (name: string) => boolean): string[] {
  return ops.flatMap((op) =>
    op.pathParams
      .filter((p) => !has(p))
      .map((p) => `${op.key}: no fixture pool for path parameter "${p}"; add one to PATH_POOLS in test/support/fuzz/fixtures.ts`),
  );
}

/** Path parameters a route uses that its operation does not declare. */
export function undeclaredPathParams(ops: Operation[]): string[] {
  return ops.flatMap((op) => op.pathParams.filter((p) => !op.declaredPathParams.includes(p)).map((p) => `${op.key}: path parameter "${p}" is not declared`));
}

import fc from 'fast-check';
import { Answer, Finding, ResponseChecker } from './checks';
import { poolFor } from './fixtures';
import { OpenApiDocument, Operation } from './openapi';
import { CursorPlan, hasBody, PathArg, Plan, planArbitrary } from './plans';
import { Failure } from './report';
import { BuiltRequest, encodeText, send } from './send';
import { flatten, validValue, ValueContext } from './values';
import { AccountName, CallerName, CommunityKey, World } from './world';

export interface FuzzOptions {
  seed: number;
  /** Requests per operation. */
  runs: number;
  /** Only operations whose key ("GET /api/v1/...") matches. */
  only?: RegExp;
}

export interface Summary {
  operations: number;
  requests: number;
  seconds: number;
  failures: Failure[];
  /** Seconds per operation, slowest first (for sizing FUZZ_RUNS). */
  slowest: [string, number][];
  /** Input class → status → answers, to see what the run reached. */
  statuses: Record<string, Record<number, number>>;
  /** Operations that never answered 2xx in this run (their response schemas went unchecked). */
  never2xx: string[];
}

interface CursorRecord {
  op: string;
  cursor: string;
  path: Record<string, PathArg>;
  query: [string, string][];
}

/**
 * Runs the order the world can survive: reads first, then writes, then deletes, then what ends
 * sessions, and last what takes a password (wrong current passwords count as failed log-ins).
 */
export function phaseOf(op: Operation): number {
  if (!hasBody(op)) return 0;
  const props = Object.keys(op.body?.json?.properties ?? {});
  const schemaRef: string = op.body?.json?.$ref ?? '';
  if (props.some((p) => /password/i.test(p)) || /password|register|login/i.test(schemaRef)) return 4;
  if (/\/(auth|sessions?|logout|password)(\/|$)/.test(op.path)) return 3;
  return op.method === 'DELETE' ? 2 : 1;
}

/** fnv-1a, so each operation's seed depends on its key only (adding a route does not reshuffle the others). */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h | 0;
}

export class Fuzzer {
  private readonly checker: ResponseChecker;
  private readonly ctx: ValueContext;
  private readonly cursors: CursorRecord[] = [];
  private requests = 0;
  private readonly statuses: Record<string, Record<number, number>> = {};
  private readonly succeeded = new Set<string>();

  constructor(
    private readonly world: World,
    private readonly doc: OpenApiDocument,
    private readonly baseUrl: string,
    private readonly options: FuzzOptions,
  ) {
    this.checker = new ResponseChecker(doc);
    this.ctx = { doc, named: world.named, words: world.words };
  }

  async run(all: Operation[]): Promise<Summary> {
    const started = Date.now();
    const ops = all
      .filter((op) => !this.options.only || this.options.only.test(op.key))
      .filter((op) => op.pathParams.every((p) => poolFor(this.world, p)?.length))
      .map((op, index) => ({ op, index }))
      // Within a phase, routes aimed at one thing (a session by id) before sweeping ones (log-out, "end all others").
      .sort((a, b) => phaseOf(a.op) - phaseOf(b.op) || Number(!a.op.pathParams.length) - Number(!b.op.pathParams.length) || a.index - b.index)
      .map(({ op }) => op);
    await this.harvestCursors(ops);
    const failures: Failure[] = [];
    const times: [string, number][] = [];
    for (const op of ops) {
      const opStarted = Date.now();
      const plans = fc.sample(planArbitrary(op, this.ctx, this.world.pools, this.world.image), { seed: this.options.seed + hash(op.key), numRuns: this.options.runs });
      for (const plan of plans) failures.push(...(await this.attempt(op, plan)));
      if (phaseOf(op) > 0) await this.world.restore();
      times.push([op.key, (Date.now() - opStarted) / 1000]);
    }
    return {
      operations: ops.length,
      requests: this.requests,
      seconds: (Date.now() - started) / 1000,
      failures,
      slowest: times.sort((a, b) => b[1] - a[1]).slice(0, 8),
      statuses: this.statuses,
      never2xx: ops.filter((op) => !this.succeeded.has(op.key)).map((op) => op.key),
    };
  }

  private async attempt(op: Operation, plan: Plan): Promise<Failure[]> {
    const resolved = this.resolveCursor(op, plan);
    const effective: Plan = { ...plan, caller: this.callerFor(plan), path: resolved?.path ?? plan.path, query: resolved?.query ?? plan.query };
    const req = this.build(op, effective, resolved?.cursor);
    const answer = await this.send(req);
    const findings: Finding[] = this.checker.check(op, answer);
    const counts = (this.statuses[plan.inputClass] ??= {});
    counts[answer.status] = (counts[answer.status] ?? 0) + 1;
    if (answer.status >= 200 && answer.status < 300) {
      this.succeeded.add(op.key);
      findings.push(...(await this.accessFindings(effective, req, answer)));
      this.recordCursor(op, effective, answer);
      if (phaseOf(op) >= 3 && effective.caller !== 'guest' && effective.caller !== 'badToken') await this.world.ensureLoggedIn(effective.caller as AccountName);
    }
    const problem = answer.json as { code?: unknown } | undefined;
    return findings.map((f) => ({
      ...f,
      op: op.key,
      inputClass: plan.inputClass,
      caller: effective.caller,
      status: answer.status,
      code: typeof problem?.code === 'string' ? problem.code : undefined,
      request: req,
      answer: answer.text,
    }));
  }

  /** The plan's caller, or the owner of a session or upload in its path when the plan asks for that. */
  private callerFor(plan: Plan): CallerName {
    if (!plan.asOwner) return plan.caller;
    for (const arg of Object.values(plan.path)) {
      const scope = arg.source?.scope;
      if (scope?.kind !== 'owner') continue;
      const owner = (Object.keys(this.world.accounts) as AccountName[]).find((n) => n !== 'stranger' && this.world.accounts[n].id === scope.ownerId);
      if (owner) return owner as CallerName;
    }
    return plan.caller;
  }

  private async send(req: BuiltRequest): Promise<Answer> {
    this.requests++;
    return send(this.baseUrl, req);
  }

  private build(op: Operation, plan: Plan, cursor?: string, caller: CallerName | 'stranger' = plan.caller): BuiltRequest {
    const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => plan.path[name]?.raw ?? encodeText(plan.path[name]?.text ?? ''));
    const query = plan.query.map(([n, v]) => `${encodeText(n)}=${encodeText(v)}`);
    if (cursor !== undefined) query.push(`cursor=${encodeText(cursor)}`);
    if (plan.rawQuery) query.push(plan.rawQuery);
    const headers: Record<string, string> = {};
    const token = this.world.token(caller);
    if (caller === 'badToken' && plan.authorization) headers.authorization = plan.authorization;
    else if (token) headers.authorization = `Bearer ${token}`;
    let body: Buffer | undefined;
    if (hasBody(op) && plan.body) {
      const built = plan.body.build();
      body = typeof built === 'string' ? Buffer.from(built, 'utf8') : built;
      if (plan.body.contentType !== null) headers['content-type'] = plan.body.contentType;
    }
    return { method: op.method, url: path + (query.length ? `?${query.join('&')}` : ''), headers, body };
  }

  /**
   * Access rules on a 2xx: a resource the caller may not see never answers 2xx; a caller outside a
   * community gets no more there than a logged-in user who belongs nowhere.
   */
  private async accessFindings(plan: Plan, req: BuiltRequest, answer: Answer): Promise<Finding[]> {
    const findings: Finding[] = [];
    const args = Object.values(plan.path).filter((a) => a.source);
    for (const arg of args) {
      const source = arg.source!;
      if (this.world.hiddenAtStart(source, plan.caller) && (await this.world.hiddenNow(source, plan.caller))) {
        findings.push({ cause: 'hidden resource answered 2xx', message: `${plan.caller} got ${answer.status} with ${source.label}` });
      }
    }
    const communities = new Set(args.map((a) => a.source!.scope?.community).filter((c): c is CommunityKey => Boolean(c)));
    for (const community of communities) {
      if (!['member', 'communityAdmin', 'outsider'].includes(plan.caller) || this.world.expectedRole(plan.caller, community)) continue;
      const stranger = await this.send({ ...req, headers: { ...req.headers, authorization: `Bearer ${this.world.token('stranger')}` } });
      if ((stranger.status >= 200 && stranger.status < 300) || stranger.status === 409 || stranger.status === 429) continue;
      if (await this.world.currentRole(plan.caller, community)) continue; // the fuzz let them in meanwhile
      const code = (stranger.json as { code?: string } | undefined)?.code;
      findings.push({
        cause: 'non-member gets more than a stranger',
        message: `${plan.caller} (not in community ${community}) got ${answer.status}; a logged-in user of no community got ${stranger.status} ${code ?? ''}`,
      });
    }
    return findings;
  }

  private recordCursor(op: Operation, plan: Plan, answer: Answer) {
    const next = (answer.json as { nextCursor?: unknown } | undefined)?.nextCursor;
    if (typeof next !== 'string' || !next || Object.values(plan.path).some((a) => !a.source)) return;
    if (this.cursors.filter((c) => c.op === op.key).length >= 50) return;
    this.cursors.push({ op: op.key, cursor: next, path: plan.path, query: plan.query.filter(([n]) => n !== 'cursor') });
  }

  private resolveCursor(op: Operation, plan: Plan): { cursor: string; path?: Record<string, PathArg>; query?: [string, string][] } | null {
    const wanted: CursorPlan | undefined = plan.cursor;
    if (!wanted) return null;
    if (wanted.kind === 'forged') return { cursor: wanted.text };
    const same = this.cursors.filter((c) => c.op === op.key);
    const other = this.cursors.filter((c) => c.op !== op.key);
    const pick = <T>(list: T[]) => (list.length ? list[wanted.pick % list.length] : undefined);
    switch (wanted.kind) {
      case 'real': {
        const rec = pick(same) ?? pick(other);
        return rec ? { cursor: rec.cursor, ...(rec.op === op.key ? { path: rec.path, query: rec.query } : {}) } : { cursor: 'W10' };
      }
      case 'other operation':
        return { cursor: pick(other)?.cursor ?? 'W10' };
      case 'other sort': {
        const sort = op.query.find((q) => q.name === 'sort');
        const values: string[] = flatten(this.doc, sort?.schema).enum ?? [];
        const rec = pick(same);
        if (!rec || values.length < 2) return { cursor: rec?.cursor ?? 'W10' };
        const current = rec.query.find(([n]) => n === 'sort')?.[1] ?? flatten(this.doc, sort?.schema).default ?? values[0];
        const others = values.filter((v) => v !== current);
        return { cursor: rec.cursor, path: rec.path, query: [...rec.query.filter(([n]) => n !== 'sort'), ['sort', others[wanted.pick % others.length]]] };
      }
      case 'tampered': {
        const rec = pick(same) ?? pick(other);
        if (!rec) return { cursor: 'W10' };
        const at = wanted.at % rec.cursor.length;
        const char = rec.cursor[at] === wanted.char ? (wanted.char === 'A' ? 'B' : 'A') : wanted.char;
        const cursor = rec.cursor.slice(0, at) + char + rec.cursor.slice(at + 1);
        return { cursor, ...(rec.op === op.key ? { path: rec.path, query: rec.query } : {}) };
      }
    }
  }

  /** Real cursors before the fuzz starts: page 1 (limit=1) of every list, per sort order, as the platform admin and a member. */
  private async harvestCursors(ops: Operation[]) {
    for (const op of ops.filter((o) => o.method === 'GET' && o.query.some((q) => q.name === 'cursor'))) {
      const sort = op.query.find((q) => q.name === 'sort');
      const sorts: (string | undefined)[] = sort ? (flatten(this.doc, sort.schema).enum ?? [undefined]) : [undefined];
      const required = op.query.filter((q) => q.required && q.name !== 'limit' && q.name !== 'cursor');
      const fixed: [string, string][] = required.map((q) => [q.name, this.ctx.named[q.name]?.[0] ?? String(fc.sample(validValue(this.ctx, q.schema, q.name), { seed: 1, numRuns: 1 })[0])]);
      for (const path of this.pathCombinations(op, 4)) {
        for (const value of sorts) {
          for (const caller of ['platformAdmin', 'member'] as CallerName[]) {
            const query: [string, string][] = [...fixed, ...(op.query.some((q) => q.name === 'limit') ? [['limit', '1'] as [string, string]] : []), ...(value ? [['sort', value] as [string, string]] : [])];
            const plan: Plan = { inputClass: 'harvest', caller, path, query };
            const answer = await this.send(this.build(op, plan));
            if (answer.status === 200) this.recordCursor(op, plan, answer);
          }
        }
      }
    }
  }

  /** Up to `perParam` real values per path parameter, spread over the pool, combined (at most 16 combinations). */
  private pathCombinations(op: Operation, perParam: number): Record<string, PathArg>[] {
    let combos: Record<string, PathArg>[] = [{}];
    for (const name of op.pathParams) {
      const pool = this.world.pools[name];
      const step = Math.max(1, Math.floor(pool.length / perParam));
      const picks = pool.filter((_, i) => i % step === 0).slice(0, perParam);
      combos = combos.flatMap((c) => picks.map((v) => ({ ...c, [name]: { text: v.value, source: v } })));
    }
    return combos.slice(0, 16);
  }
}

import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { OpenApiDocument, Operation, Schema, toJsonSchema } from './openapi';

/** What came back for one request. */
export interface Answer {
  status: number;
  contentType: string;
  text: string;
  /** The parsed body when the answer says it is JSON and parses; undefined otherwise. */
  json?: unknown;
  /** Set when the answer claims JSON but does not parse. */
  jsonError?: string;
}

/** One broken promise found in one answer. `cause` groups failures in the report. */
export interface Finding {
  cause: string;
  message: string;
}

export const PROBLEM_CODE = /^[A-Z][A-Z0-9_]*$/;
const DOC_ID = 'openapi.json';

/** Validates answers against the operation's documented responses, with Ajv. */
export class ResponseChecker {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<Schema, ValidateFunction>();

  constructor(doc: OpenApiDocument) {
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    // OpenAPI's own formats, which say how a value travels, not what it must look like.
    for (const format of ['binary', 'byte', 'int32', 'int64', 'float', 'double', 'password']) this.ajv.addFormat(format, true);
    this.ajv.addSchema({ components: toJsonSchema(doc.components ?? {}, DOC_ID) }, DOC_ID);
  }

  /** The findings for one answer (empty when it keeps every promise). */
  check(op: Operation, answer: Answer): Finding[] {
    const findings: Finding[] = [];
    const { status } = answer;
    if (status >= 500) findings.push({ cause: '5xx answer', message: `answered ${status}` });
    if (answer.jsonError) findings.push({ cause: 'body is not the JSON it claims', message: answer.jsonError });
    if (status >= 200 && status < 300) findings.push(...this.checkSuccess(op, answer));
    else if (status !== 304) findings.push(...this.checkProblem(op, answer));
    return findings;
  }

  private checkSuccess(op: Operation, answer: Answer): Finding[] {
    const documented = op.responses[String(answer.status)] ?? op.responses['2XX'] ?? op.responses.default;
    if (!documented) {
      return [{ cause: 'undocumented status', message: `answered ${answer.status}; the document lists ${Object.keys(op.responses).join(', ') || 'nothing'}` }];
    }
    const schema = documented.content['application/json'];
    if (!schema) return [];
    if (!answer.contentType.includes('json')) {
      return [{ cause: 'response does not match its schema', message: `documented as application/json, answered content-type "${answer.contentType}"` }];
    }
    return this.validate(schema, answer.json, 'response does not match its schema');
  }

  private checkProblem(op: Operation, answer: Answer): Finding[] {
    const wrong: string[] = [];
    if (!answer.contentType.startsWith('application/problem+json')) wrong.push(`content-type "${answer.contentType}"`);
    const body = answer.json as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      wrong.push('the body is not a JSON object');
    } else {
      if (body.status !== answer.status) wrong.push(`status ${JSON.stringify(body.status)} (HTTP ${answer.status})`);
      if (typeof body.code !== 'string' || !PROBLEM_CODE.test(body.code)) wrong.push(`code ${JSON.stringify(body.code)}`);
      for (const field of ['type', 'title', 'detail']) if (typeof body[field] !== 'string') wrong.push(`${field} ${JSON.stringify(body[field])}`);
    }
    const findings: Finding[] = wrong.length ? [{ cause: 'error is not problem+json', message: wrong.join('; ') }] : [];
    // Where the document gives the error a schema, the error must match it too.
    const documented = op.responses[String(answer.status)] ?? op.responses[`${String(answer.status)[0]}XX`] ?? op.responses.default;
    const schema = documented?.content['application/problem+json'] ?? documented?.content['application/json'];
    if (schema && body && typeof body === 'object') findings.push(...this.validate(schema, body, 'error does not match its documented schema'));
    return findings;
  }

  private validate(schema: Schema, value: unknown, cause: string): Finding[] {
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = this.ajv.compile(toJsonSchema(schema, DOC_ID));
      this.compiled.set(schema, validate);
    }
    if (validate(value)) return [];
    const errors = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}`);
    return [{ cause, message: errors.join('; ') }];
  }
}

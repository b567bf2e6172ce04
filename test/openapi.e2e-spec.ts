import { startApp, TestApp } from './support/app';

/** The OpenAPI document tells the truth: it and the routes agree, and it declares what clients rely on. */
describe('the OpenAPI document', () => {
  let t: TestApp;
  let doc: any;
  beforeAll(async () => {
    t = await startApp();
    doc = (await t.http.get('/api/docs-json')).body;
  });
  afterAll(() => t?.close());

  /** Routes that are plumbing, not API: health, metrics and the document itself. */
  const NOT_API = /^(GET|POST|PUT|PATCH|DELETE) \/(health\/|metrics|api\/docs)/;
  const documented = () =>
    Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((m) => ['get', 'put', 'post', 'patch', 'delete'].includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
  const operations = () =>
    Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([m]) => ['get', 'put', 'post', 'patch', 'delete'].includes(m))
        .map(([m, op]) => ({ key: `${m.toUpperCase()} ${path}`, path, op })),
    );

  it('documents every route the server serves, and only those', () => {
    const served = [...t.routes].filter((r) => !NOT_API.test(r)).sort();
    expect(served.length).toBeGreaterThan(30);
    expect(documented().filter((r) => !NOT_API.test(r)).sort()).toEqual(served);
  });

  it('declares every path parameter of every operation', () => {
    const missing = operations().flatMap(({ key, path, op }) =>
      [...path.matchAll(/\{(\w+)\}/g)]
        .map((m) => m[1])
        .filter((name) => !(op.parameters ?? []).some((p: any) => p.in === 'path' && p.name === name && p.required))
        .map((name) => `${key}: {${name}}`),
    );
    expect(missing).toEqual([]);
  });

  it('describes every error answer as problem+json with the Problem schema', () => {
    expect(doc.components.schemas.Problem.required).toEqual(['type', 'title', 'status', 'detail', 'code']);
    const wrong = operations().flatMap(({ key, op }) =>
      Object.entries(op.responses as Record<string, any>)
        .filter(([status, r]) => Number(status) >= 400 && r.content?.['application/problem+json']?.schema?.$ref !== '#/components/schemas/Problem')
        .map(([status]) => `${key} ${status}`),
    );
    expect(wrong).toEqual([]);
    for (const { op } of operations()) expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '401']));
  });

  it('documents the statuses routes really answer', () => {
    expect(Object.keys(doc.paths['/api/v1/auth/logout'].post.responses)).toContain('204');
    expect(Object.keys(doc.paths['/api/v1/auth/logout'].post.responses)).not.toContain('200');
    expect(Object.keys(doc.paths['/api/v1/communities/{slug}/join'].post.responses)).toEqual(expect.arrayContaining(['200', '201']));
  });

  it('types integers as integers', () => {
    const { schemas } = doc.components;
    expect(schemas.CreateBoardDto.properties.position.type).toBe('integer');
    expect(schemas.UpdateBoardDto.properties.position.type).toBe('integer');
    const limit = doc.paths['/api/v1/boards/{boardId}/threads'].get.parameters.find((p: any) => p.name === 'limit');
    expect(limit.schema.type).toBe('integer');
  });
});

import { gzipSync } from 'node:zlib';
import { graphql, type HttpCase, type HttpRequest } from '../harness';

/** Hostile request bodies and content types on POST /graphql. */

const json = (text: string, headers: Record<string, string> = {}): HttpRequest => ({ body: text, headers: { 'content-type': 'application/json', ...headers } });
const plain = { query: '{ __typename }' };
const bodyOf = (fields: Record<string, unknown>) => ({ body: fields });

/** Padding inside a valid operation: the body is big, the operation is not. */
const padded = (bytes: number) => JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(bytes) } });

/** 50 MB of spaces in 50 KB: a decompressing server would hold them all. */
const GZIP_BOMB = gzipSync(Buffer.alloc(50 * 1024 * 1024, ' '));

export const bodyCases: HttpCase[] = [
  { name: 'truncated JSON', request: json('{"query": '), status: 400, code: 'BAD_REQUEST', message: /JSON/ },
  { name: 'not JSON at all', request: json('query { __typename }'), status: 400, code: 'BAD_REQUEST', message: /JSON/ },
  { name: 'JSON with a trailing comma', request: json('{"query": "{ __typename }",}'), status: 400, code: 'BAD_REQUEST' },
  { name: 'invalid UTF-8 bytes', request: { body: Buffer.from([0x7b, 0x22, 0x71, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), headers: { 'content-type': 'application/json' } }, status: 400, code: 'BAD_REQUEST' },
  { name: 'an empty body', request: json(''), status: 400, code: 'BAD_REQUEST' },
  { name: 'JSON null', request: json('null'), status: 400, code: 'BAD_REQUEST' },
  { name: 'a JSON string', request: json('"{ __typename }"'), status: 400, code: 'BAD_REQUEST' },
  { name: 'a JSON number', request: json('42'), status: 400, code: 'BAD_REQUEST' },
  { name: 'an empty object', request: bodyOf({}), status: 400, code: 'BAD_REQUEST' },
  { name: 'an empty array', request: json('[]'), status: 400, code: 'BAD_REQUEST' },
  { name: 'a batch of two operations', request: json(JSON.stringify([plain, plain])), status: 400, code: 'BAD_REQUEST', message: /batch/i },
  { name: 'a batch of 1000 operations', request: json(JSON.stringify(Array.from({ length: 1000 }, () => plain))), status: 400, code: 'BAD_REQUEST' },
  { name: 'query: a number', request: bodyOf({ query: 42 }), status: 400, code: 'BAD_REQUEST', message: /quer/i },
  { name: 'query: an array', request: bodyOf({ query: ['{ __typename }'] }), status: 400, code: 'BAD_REQUEST' },
  { name: 'query: an object', request: bodyOf({ query: { kind: 'Document', definitions: [] } }), status: 400, code: 'BAD_REQUEST' },
  { name: 'query: null', request: bodyOf({ query: null }), status: 400, code: 'BAD_REQUEST' },
  { name: 'variables: a string', request: bodyOf({ ...plain, variables: '{}' }), status: 400, code: 'BAD_REQUEST', message: /variables/ },
  { name: 'variables: an array', request: bodyOf({ ...plain, variables: [1] }), status: 400, code: 'BAD_REQUEST', message: /variables/ },
  { name: 'variables: a number', request: bodyOf({ ...plain, variables: 7 }), status: 400, code: 'BAD_REQUEST' },
  { name: 'operationName: a number', request: bodyOf({ ...plain, operationName: 5 }), status: 400, code: 'BAD_REQUEST', message: /operationName/ },
  { name: 'operationName: an object', request: bodyOf({ ...plain, operationName: { name: 'A' } }), status: 400, code: 'BAD_REQUEST' },
  { name: 'extensions: a string', request: bodyOf({ ...plain, extensions: 'x' }), status: 400, code: 'BAD_REQUEST', message: /extensions/ },
  { name: 'extensions: an array', request: bodyOf({ ...plain, extensions: [] }), status: 400, code: 'BAD_REQUEST' },
  { name: 'extensions.persistedQuery: a string', request: bodyOf({ ...plain, extensions: { persistedQuery: 'yes' } }), status: 400, code: ['BAD_REQUEST', 'PERSISTED_QUERY_NOT_SUPPORTED'] },
  {
    name: '__proto__ in the body and the variables pollutes nothing',
    request: json('{"query": "{ __typename }", "__proto__": {"polluted": 1}, "variables": {"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 1}}}}'),
    status: 200,
    code: null,
    check: () => expect(({} as Record<string, unknown>).polluted).toBeUndefined(),
  },
  { name: '10 000 unused variables', request: bodyOf({ ...plain, variables: Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`v${i}`, i])) }), status: 200, code: null },
  { name: 'a 300 KB body', request: json(padded(300 * 1024)), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'a 5 MB body', request: json(padded(5 * 1024 * 1024)), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'a 255 KB body (under the limit) is read', request: json(padded(255 * 1024)), status: 200, code: null },
  // CSRF prevention: what a cross-site form or a simple fetch can send is refused before it runs.
  { name: 'text/plain with a mutation', request: { body: JSON.stringify({ query: 'mutation { logOut }' }), headers: { 'content-type': 'text/plain' } }, status: 400, code: 'BAD_REQUEST', message: /CSRF|preflight/i },
  { name: 'form-urlencoded', request: { body: 'query=mutation%7BlogOut%7D', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, status: 400, code: 'BAD_REQUEST', message: /CSRF|preflight/i },
  {
    name: 'multipart/form-data',
    request: { body: '--b\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"{ __typename }"}\r\n--b--\r\n', headers: { 'content-type': 'multipart/form-data; boundary=b' } },
    status: 400,
    code: 'BAD_REQUEST',
    message: /CSRF|preflight/i,
  },
  { name: 'no content type', request: { body: JSON.stringify(plain) }, status: 400, code: 'BAD_REQUEST' },
  { name: 'an unknown content type with the preflight header', request: { body: JSON.stringify(plain), headers: { 'content-type': 'application/xml', 'apollo-require-preflight': '1' } }, status: [400, 415], code: 'BAD_REQUEST' },
  { name: 'JSON labelled UTF-16', request: json(JSON.stringify(plain), { 'content-type': 'application/json; charset=utf-16' }), status: [200, 400, 415], code: [null, 'BAD_REQUEST'] },
  {
    name: 'a gzip bomb (50 MB in 50 KB)',
    request: { body: GZIP_BOMB, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } },
    status: [400, 413, 415],
    code: ['BAD_REQUEST', 'PAYLOAD_TOO_LARGE'],
  },
  {
    name: 'a gzipped operation',
    request: { body: gzipSync(JSON.stringify(plain)), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } },
    status: [200, 400, 415],
    code: [null, 'BAD_REQUEST'],
  },
  { name: 'PUT /graphql', request: { ...graphql('{ __typename }'), method: 'PUT' }, status: [404, 405], code: [null, 'BAD_REQUEST'] },
  { name: 'DELETE /graphql', request: { method: 'DELETE', headers: { 'apollo-require-preflight': '1' } }, status: [404, 405], code: [null, 'BAD_REQUEST'] },
];

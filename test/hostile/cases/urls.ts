import { createHash } from 'node:crypto';
import { PREFLIGHTED, type HttpCase, type HttpRequest } from '../harness';

/** Hostile URLs (the web app's static files beside /graphql) and persisted-query extensions. */

/** Written next to the web app's build folder by the test: no request may read it. */
export const OUTSIDE_SECRET = 'TOP-SECRET-outside-the-build-folder';
const LEAKED = new RegExp(`${OUTSIDE_SECRET}|root:x:0:0|"devDependencies"`);

const path = (p: string, headers: Record<string, string> = {}): HttpRequest => ({ method: 'GET', path: p, headers });
/** A browser's page load: the app answers unknown paths with index.html. */
const page = (p: string) => path(p, { accept: 'text/html' });

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const persisted = (sha256Hash: unknown, query?: string, version: unknown = 1): HttpRequest => ({
  body: { ...(query !== undefined ? { query } : {}), extensions: { persistedQuery: { version, sha256Hash } } },
});

const BOMB = `{ ...F0 } ${Array.from({ length: 30 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join(' ')} fragment F30 on Query { __typename }`;

export const urlCases: HttpCase[] = [
  { name: 'GET /%zz (a malformed escape)', request: path('/%zz'), status: 400, code: 'BAD_REQUEST' },
  { name: 'GET /%zz as a page load', request: page('/%zz'), status: 400, code: 'BAD_REQUEST' },
  { name: 'GET /assets/%E0%A4%A (a truncated UTF-8 escape)', request: path('/assets/%E0%A4%A'), status: 400, code: 'BAD_REQUEST' },
  { name: 'GET /graphql%zz', request: path('/graphql%zz'), status: [400, 404], code: [null, 'BAD_REQUEST'] },
  { name: 'GET /graphql?query=%zz', request: path('/graphql?query=%zz', PREFLIGHTED), status: 400, code: ['GRAPHQL_PARSE_FAILED', 'BAD_REQUEST'] },
  { name: 'GET /graphql?variables={bad', request: path(`/graphql?query=${encodeURIComponent('{ __typename }')}&variables=%7Bbad`, PREFLIGHTED), status: 400, code: 'BAD_REQUEST', message: /variables/ },
  { name: 'GET /graphql?extensions={bad', request: path(`/graphql?query=${encodeURIComponent('{ __typename }')}&extensions=%7Bbad`, PREFLIGHTED), status: 400, code: 'BAD_REQUEST', message: /extensions/ },
  { name: 'GET /graphql with no query', request: path('/graphql', PREFLIGHTED), status: 400, code: 'BAD_REQUEST' },
  { name: 'an 8 KB path', request: path(`/${'a'.repeat(8 * 1024)}`), status: 404, code: null },
  { name: 'a 64 KB path (over the header limit)', request: path(`/${'a'.repeat(64 * 1024)}`), status: [414, 431], code: null },
  { name: 'a 6 KB query string on /graphql', request: path(`/graphql?query=${encodeURIComponent('{ __typename }')}&x=${'y'.repeat(6 * 1024)}`, PREFLIGHTED), status: 200, code: null },
  // Path traversal on the static files.
  { name: '/../../etc/passwd', request: path('/../../etc/passwd'), status: 404, code: null, absent: LEAKED },
  { name: '/../secret.txt (just outside the build)', request: path('/../secret.txt'), status: 404, code: null, absent: LEAKED },
  { name: '/assets/..%2f..%2fpackage.json', request: path('/assets/..%2f..%2fpackage.json'), status: 404, code: null, absent: LEAKED },
  { name: '/assets/..%2f..%2fsecret.txt', request: path('/assets/..%2f..%2fsecret.txt'), status: 404, code: null, absent: LEAKED },
  { name: '/%2e%2e/%2e%2e/etc/passwd', request: path('/%2e%2e/%2e%2e/etc/passwd'), status: 404, code: null, absent: LEAKED },
  { name: '/..%5csecret.txt (a backslash)', request: path('/..%5csecret.txt'), status: 404, code: null, absent: LEAKED },
  { name: '/%252e%252e/secret.txt (double encoded)', request: path('/%252e%252e/secret.txt'), status: 404, code: null, absent: LEAKED },
  { name: '/index.html%00.js (a NUL in the path)', request: path('/index.html%00.js'), status: [400, 404], code: [null, 'BAD_REQUEST'], absent: LEAKED },
  { name: 'a traversal as a page load', request: page('/assets/..%2f..%2fsecret.txt'), status: 404, code: null, absent: LEAKED },
  { name: 'the app itself is still served', request: page('/chat/some-room'), status: 200, code: null, check: (r) => expect(r.text).toMatch(/<html/i) },
  // Persisted queries (APQ).
  { name: 'APQ: hash does not match the query', request: persisted('0'.repeat(64), '{ __typename }'), status: 400, code: ['BAD_REQUEST', 'PERSISTED_QUERY_NOT_SUPPORTED'], message: /sha|hash/i },
  { name: 'APQ: unsupported version 2', request: persisted(sha256('{ __typename }'), '{ __typename }', 2), status: 400, code: ['BAD_REQUEST', 'PERSISTED_QUERY_NOT_SUPPORTED'] },
  { name: 'APQ: version as a string', request: persisted(sha256('{ __typename }'), undefined, '1'), status: 400, code: ['BAD_REQUEST', 'PERSISTED_QUERY_NOT_SUPPORTED'] },
  { name: 'APQ: unknown hash', request: persisted('f'.repeat(64)), status: 200, code: 'PERSISTED_QUERY_NOT_FOUND' },
  { name: 'APQ: hash a number', request: persisted(12345), status: [200, 400], code: ['BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND'] },
  { name: 'APQ: hash with key separators', request: persisted('*:apq:*'), status: [200, 400], code: ['PERSISTED_QUERY_NOT_FOUND', 'BAD_REQUEST'] },
  { name: 'APQ: 10 KB hash', request: persisted('a'.repeat(10_000)), status: [200, 400], code: ['PERSISTED_QUERY_NOT_FOUND', 'BAD_REQUEST'] },
  {
    name: 'APQ: unknown hash over GET',
    request: path(`/graphql?extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: 'e'.repeat(64) } }))}`, PREFLIGHTED),
    status: 200,
    code: 'PERSISTED_QUERY_NOT_FOUND',
  },
  {
    name: 'APQ: a registered fragment bomb is refused again by hash',
    before: () => [persisted(sha256(BOMB), BOMB)],
    request: persisted(sha256(BOMB)),
    status: [200, 400],
    code: ['MAX_FIELDS_EXCEEDED', 'PERSISTED_QUERY_NOT_FOUND'],
  },
  { name: 'APQ: query with the hash of another query', request: persisted(sha256('{ __typename }'), '{ me { id } }'), status: 400, code: ['BAD_REQUEST', 'PERSISTED_QUERY_NOT_SUPPORTED'] },
  { name: 'APQ: a valid registration still runs', request: persisted(sha256('query Ok { __typename }'), 'query Ok { __typename }'), status: 200, code: null },
];

import { randomUUID } from 'node:crypto';
import { graphql, type Fixtures, type HttpCase, type HttpRequest, type HttpResult } from '../harness';

/**
 * Tokens, headers, CSRF, least-privilege reads and the auth and cost budgets. Fixtures: victim and
 * other (signed-in users sharing a room, roomId), tokens (forged tokens by name, made in beforeAll).
 * The stack trusts one X-Forwarded-For hop, so each budget case spends from its own address.
 */

const ME = '{ me { id } }';
const asBearer = (token: string) => ({ authorization: `Bearer ${token}` });
const me = (headers: Record<string, string>): HttpRequest => graphql(ME, undefined, headers);
const refused = { status: 401, code: 'UNAUTHENTICATED' } as const;

/** A token case: `{ me }` with a token from fixtures.tokens, refused with 401. */
const forged = (name: string, token: string): HttpCase => ({ name, request: (f) => me(asBearer(f.tokens[token])), ...refused, absent: /"me":\s*\{/ });

const headerValue = (result: HttpResult, name: string) => String(result.headers[name] ?? '');
const SAFE_REQUEST_ID = /^[\w.-]{1,100}$/;

export const tokenCases: HttpCase[] = [
  { name: 'Authorization: Bearer (no token)', request: me({ authorization: 'Bearer' }), ...refused },
  { name: 'Authorization: "Bearer " (empty token)', request: me({ authorization: 'Bearer ' }), ...refused },
  { name: 'Authorization: Bearer x', request: me({ authorization: 'Bearer x' }), ...refused },
  { name: 'Authorization: Basic credentials', request: me({ authorization: 'Basic dXNlcjpwYXNzd29yZA==' }), ...refused },
  { name: 'Authorization: Bearer a.b.c', request: me({ authorization: 'Bearer a.b.c' }), ...refused },
  { name: 'Authorization: an 8 KB token', request: me({ authorization: `Bearer ${'A'.repeat(8192)}` }), ...refused },
  { name: 'Authorization: a real token after the wrong scheme', request: (f) => me({ authorization: `Token ${f.victim.accessToken}` }), ...refused },
  { name: 'Authorization: two real tokens', request: (f) => me({ authorization: `Bearer ${f.victim.accessToken} ${f.other.accessToken}` }), ...refused },
  forged('a real token with its signature altered', 'alteredSignature'),
  forged("a real token with another user's sub", 'tamperedPayload'),
  forged('alg none', 'algNone'),
  forged('alg none with a signature', 'algNoneSigned'),
  forged("HS256 keyed with auth's public key (JWK)", 'hs256Jwk'),
  forged("HS256 keyed with auth's public key (PEM)", 'hs256Pem'),
  forged("RS256 claiming auth's kid", 'rs256'),
  forged("ES256 by a stranger claiming auth's kid", 'strangerAuthKid'),
  forged('an unknown kid', 'unknownKid'),
  forged('no kid', 'noKid'),
  forged('a kid with path traversal', 'traversalKid'),
  forged('an 8 KB kid', 'hugeKid'),
  forged('a jku pointing elsewhere', 'jku'),
  forged("the attacker's key embedded as jwk", 'embeddedJwk'),
  forged('expired (trusted key)', 'expired'),
  forged('not valid yet (trusted key)', 'notYetValid'),
  forged('wrong audience (trusted key)', 'wrongAudience'),
  forged('wrong issuer (trusted key)', 'wrongIssuer'),
  forged('no sub (trusted key)', 'noSub'),
  forged('an unknown crit header (trusted key)', 'crit'),
  forged("a logged-out session's token", 'loggedOut'),
  {
    name: 'control: a well-formed token from the trusted key is accepted',
    request: (f) => me(asBearer(f.tokens.trusted)),
    status: 200,
    code: null,
    check: (r, f) => expect(r.json?.data?.me?.id).toBe(f.victim.id),
  },
];

export const headerCases: HttpCase[] = [
  { name: 'a 20 KB header', request: { ...graphql('{ __typename }'), headers: { 'x-padding': 'p'.repeat(20 * 1024) } }, status: 431, code: null },
  { name: '100 headers of 1 KB', request: { ...graphql('{ __typename }'), headers: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`x-pad-${i}`, 'p'.repeat(1024)])) }, status: 431, code: null },
  ...[
    ['5000 characters', 'r'.repeat(5000)],
    ['markup', '<script>alert(1)</script>'],
    ['spaces and quotes', 'a b "c" \'d\''],
    ['a log-injection attempt', 'id\\n{"level":60}'],
  ].map(
    ([what, id]): HttpCase => ({
      name: `x-request-id: ${what}`,
      request: { ...graphql('{ __typename }'), headers: { 'x-request-id': id } },
      status: 200,
      code: null,
      // A malformed id is replaced, never echoed.
      check: (r) => {
        expect(headerValue(r, 'x-request-id')).toMatch(SAFE_REQUEST_ID);
        expect(headerValue(r, 'x-request-id')).not.toBe(id);
      },
    }),
  ),
  ...[
    ['garbage', 'garbage'],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`],
    ['version ff', `ff-${'a'.repeat(32)}-${'b'.repeat(16)}-01`],
    ['10 KB', `00-${'a'.repeat(10_000)}-${'b'.repeat(16)}-01`],
  ].map(([what, traceparent]): HttpCase => ({ name: `traceparent: ${what}`, request: { ...graphql('{ __typename }'), headers: { traceparent } }, status: 200, code: null })),
  { name: 'tracestate: 8 KB of commas', request: { ...graphql('{ __typename }'), headers: { tracestate: ','.repeat(8000) } }, status: 200, code: null },
  { name: 'x-forwarded-for: 1000 entries', request: { ...graphql('{ __typename }'), headers: { 'x-forwarded-for': Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join(', ') } }, status: 200, code: null },
  { name: 'x-forwarded-for: not an address', request: { ...graphql('{ __typename }'), headers: { 'x-forwarded-for': 'not-an-ip, <script>' } }, status: 200, code: null },
  // CSRF and CORS: a page on another origin can neither run a mutation nor read an answer.
  {
    name: 'a cross-site text/plain mutation (CSRF)',
    request: { body: JSON.stringify({ query: 'mutation { logOut }' }), headers: { 'content-type': 'text/plain', origin: 'https://evil.example' } },
    status: 400,
    code: 'BAD_REQUEST',
    message: /CSRF|preflight/i,
  },
  ...['https://evil.example', 'null', 'http://localhost:5173'].map(
    (origin): HttpCase => ({
      name: `Origin ${origin} gets no CORS headers in production`,
      request: { ...graphql('{ __typename }'), headers: { origin } },
      status: 200,
      code: null,
      check: (r) => {
        expect(r.headers['access-control-allow-origin']).toBeUndefined();
        expect(r.headers['access-control-allow-credentials']).toBeUndefined();
      },
    }),
  ),
  {
    name: 'a preflight from another origin',
    request: { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' } },
    // Refused as CORS sees it (no allow-origin) and, reaching /graphql, as CSRF prevention does.
    status: [204, 400, 403],
    code: [null, 'BAD_REQUEST'],
    check: (r) => expect(r.headers['access-control-allow-origin']).toBeUndefined(),
  },
];

const USER_FIELDS = ['roles', 'lastLoginAt', 'email'] as const;

/** Nothing private about the victim reached the response. */
const revealsNothingOf = (fields: readonly string[]) => (r: HttpResult) => {
  const user = r.json?.data?.user;
  for (const field of fields) expect(user?.[field] ?? null).toBeNull();
};

const readsOfVictim = (who: string, headers: (f: Fixtures) => Record<string, string>): HttpCase[] =>
  [...USER_FIELDS.map((field) => [field]), [...USER_FIELDS]].map((fields) => ({
    name: `${who} reads another user's ${fields.join(', ')}`,
    request: (f) => graphql(`query($id: ID!) { user(id: $id) { id ${fields.join(' ')} } }`, { id: f.victim.id }, headers(f)),
    // The fields are refused at their path (the rest answered) or the whole read is.
    status: [200, 401, 403],
    code: ['UNAUTHORIZED_FIELD_OR_TYPE', 'FORBIDDEN', 'UNAUTHENTICATED', null],
    absent: /@example\.com|"(USER|ADMIN)"/,
    check: revealsNothingOf(fields),
  }));

export const privacyCases: HttpCase[] = [
  ...readsOfVictim('anonymous', () => ({})),
  ...readsOfVictim('a signed-in user', (f) => f.other.headers),
  {
    name: "a room member reads the other member's roles, lastLoginAt, email",
    request: (f) => graphql('query($id: ID!) { chatRoom(id: $id) { members { id roles lastLoginAt email } } }', { id: f.roomId }, f.other.headers),
    status: [200, 403],
    code: ['UNAUTHORIZED_FIELD_OR_TYPE', 'FORBIDDEN', null],
    check: (r, f) => {
      expect(r.text).not.toContain(f.victim.email);
      const victim = (r.json?.data?.chatRoom?.members ?? []).find((member: { id?: string } | null) => member?.id === f.victim.id);
      for (const field of USER_FIELDS) expect(victim?.[field] ?? null).toBeNull();
    },
  },
  {
    name: 'a signed-in user lists users (admins only)',
    request: (f) => graphql('{ users { edges { node { id email roles } } } }', undefined, f.other.headers),
    status: [200, 403],
    code: ['UNAUTHORIZED_FIELD_OR_TYPE', 'FORBIDDEN'],
    absent: /victim\./,
  },
  { name: 'GET /metrics on the router port', request: { method: 'GET', path: '/metrics' }, status: [403, 404], code: null, absent: /graphql_request_duration_seconds|process_cpu/ },
  { name: 'GET /metrics with a forwarded local address', request: { method: 'GET', path: '/metrics', headers: { 'x-forwarded-for': '127.0.0.1' } }, status: [403, 404], code: null, absent: /graphql_request_duration_seconds|process_cpu/ },
];

const times = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join(' ');
const from = (address: string) => ({ 'x-forwarded-for': address });
const email = () => `budget.${randomUUID()}@example.com`;
const signUps = (n: number) => `mutation { ${times(n, (i) => `s${i}: signUp(input: { email: "${email()}", password: "correct horse 42", nickname: "Budget" }) { accessToken }`)} }`;
const logIn = () => `logIn(email: "${email()}", password: "wrong password 1") { accessToken }`;
const aliasedLogIns = (n: number) => times(n, (i) => `l${i}: ${logIn()}`);
const PRODUCTS_PAGE = '{ products(first: 4000) { edges { node { id } } } }';

const overAuthBudget = { status: 429, code: 'RATE_LIMITED', check: (r: HttpResult) => expect(r.json?.errors?.[0]?.extensions).toMatchObject({ budget: 'auth' }) } as const;

/** RATE_LIMIT_AUTH (10) and RATE_LIMIT_COST (100 000) at their defaults; each case from its own address. */
export const budgetCases: HttpCase[] = [
  {
    name: '10 aliased signUps fit the auth budget exactly',
    request: { ...graphql(signUps(10)), headers: from('198.51.100.1') },
    passwordHashes: 10,
    status: 200,
    code: null,
    check: (r) => expect(Object.values(r.json?.data ?? {}).filter((payload) => payload?.accessToken)).toHaveLength(10),
  },
  {
    name: 'after 10 aliased signUps, one more logIn is refused',
    before: () => [{ ...graphql(signUps(10)), headers: from('198.51.100.2') }],
    passwordHashes: 10,
    request: { ...graphql(`mutation { ${logIn()} }`), headers: from('198.51.100.2') },
    ...overAuthBudget,
    check: (r) => {
      overAuthBudget.check(r);
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    },
  },
  {
    name: '11 aliased signUps are refused whole',
    request: { ...graphql(signUps(11)), headers: from('198.51.100.3') },
    status: [400, 429],
    code: ['RATE_LIMITED', 'MAX_ROOT_FIELDS_EXCEEDED'],
    absent: /"accessToken":"/,
  },
  {
    name: 'a logIn hidden in a fragment spends the auth budget',
    before: () => Array.from({ length: 10 }, () => ({ ...graphql(`mutation { ${logIn()} }`), headers: from('198.51.100.4') })),
    request: { ...graphql(`mutation { ...Hidden } fragment Hidden on Mutation { ${logIn()} }`), headers: from('198.51.100.4') },
    ...overAuthBudget,
  },
  {
    name: '10 logIns hidden in nested fragments spend 10',
    before: () => [{ ...graphql(`mutation { ... on Mutation { ...Outer } } fragment Outer on Mutation { ...Inner } fragment Inner on Mutation { ${aliasedLogIns(10)} }`), headers: from('198.51.100.5') }],
    request: { ...graphql(`mutation { ${logIn()} }`), headers: from('198.51.100.5') },
    ...overAuthBudget,
  },
  {
    name: 'aliased requestPasswordReset spend the auth budget',
    before: () => Array.from({ length: 5 }, () => ({ ...graphql(`mutation { a: requestPasswordReset(email: "${email()}") b: requestPasswordReset(email: "${email()}") }`), headers: from('198.51.100.6') })),
    request: { ...graphql(`mutation { resetPassword(email: "${email()}", code: "123456", newPassword: "new password 42") }`), headers: from('198.51.100.6') },
    ...overAuthBudget,
  },
  {
    name: '13 queries of cost 8001 overrun the cost budget',
    before: () => Array.from({ length: 12 }, () => ({ ...graphql(PRODUCTS_PAGE), headers: from('198.51.100.7') })),
    request: { ...graphql(PRODUCTS_PAGE), headers: from('198.51.100.7') },
    status: 429,
    code: 'RATE_LIMITED',
    check: (r) => expect(r.json?.errors?.[0]?.extensions).toMatchObject({ budget: 'cost' }),
  },
];

import { get, graphql, PREFLIGHTED, type HttpCase } from '../harness';

/** Hostile GraphQL documents: amplification, limits, operation resolution, production secrecy. */

const times = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join(' ');

/** `...F0`, each fragment spreading the next twice: 2^levels `__typename`s once written out, in a few hundred bytes. */
export const fragmentBomb = (levels: number, root = 'Query', leaf = '__typename', operation = 'query') =>
  `${operation} { ...F0 } ${times(levels, (i) => `fragment F${i} on ${root} { ...F${i + 1} ...F${i + 1} }`)} fragment F${levels} on ${root} { ${leaf} }`;

/** User → chatRooms → ChatRoom → members → User …: a valid cycle, `levels` times round. */
const deepUser = (levels: number): string => (levels === 0 ? 'id' : `chatRooms { edges { node { members { ${deepUser(levels - 1)} } } } }`);

const SUGGESTION = /Did you mean/i;
const INTROSPECTION = /introspection/i;

export const documentCases: HttpCase[] = [
  // Amplification: tiny documents that expand enormously.
  { name: 'fragment bomb, 20 levels (a million fields)', request: graphql(fragmentBomb(20)), status: 400, code: 'MAX_FIELDS_EXCEEDED', message: /fields/ },
  { name: 'fragment bomb, 40 levels (a trillion fields)', request: graphql(fragmentBomb(40)), status: 400, code: 'MAX_FIELDS_EXCEEDED', message: /fields/ },
  {
    name: 'fragment bomb under a list field',
    request: graphql(`{ products { edges { node { ...F0 } } } } ${times(30, (i) => `fragment F${i} on Product { ...F${i + 1} ...F${i + 1} }`)} fragment F30 on Product { id }`),
    status: 400,
    code: 'MAX_FIELDS_EXCEEDED',
  },
  {
    name: 'fragment bomb of aliased fields',
    request: graphql(`{ ...F0 } ${times(25, (i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`)} fragment F25 on Query { a: __typename }`),
    status: 400,
    code: ['MAX_FIELDS_EXCEEDED', 'MAX_ALIASES_EXCEEDED'],
  },
  {
    name: 'fragment bomb through inline fragments',
    request: graphql(`{ ...F0 } ${times(30, (i) => `fragment F${i} on Query { ... on Query { ...F${i + 1} } ... { ...F${i + 1} } }`)} fragment F30 on Query { __typename }`),
    status: 400,
    code: 'MAX_FIELDS_EXCEEDED',
  },
  { name: 'nesting 13 levels (one past MAX_DEPTH)', request: graphql(`{ me { ${deepUser(3)} } }`), status: 400, code: 'MAX_DEPTH_EXCEEDED', message: /deep/ },
  { name: 'nesting 50 levels', request: graphql(`{ me { ${deepUser(12)} } }`), status: 400, code: 'MAX_DEPTH_EXCEEDED' },
  {
    name: 'depth hidden in nested fragments',
    request: graphql(`{ me { ...D0 } } ${times(8, (i) => `fragment D${i} on User { chatRooms { edges { node { members { ...D${i + 1} } } } } }`)} fragment D8 on User { id }`),
    status: 400,
    code: 'MAX_DEPTH_EXCEEDED',
  },
  { name: 'list literal nested 900 deep', request: graphql(`{ products(search: ${'['.repeat(900)}${']'.repeat(900)}) { pageInfo { hasNextPage } } }`), status: 400, code: ['GRAPHQL_VALIDATION_FAILED', 'MAX_TOKENS_EXCEEDED'] },
  {
    name: 'input object literal nested 600 deep',
    request: graphql(`mutation { signUp(input: ${'{a:'.repeat(600)}1${'}'.repeat(600)}) { accessToken } }`),
    status: 400,
    code: ['GRAPHQL_VALIDATION_FAILED', 'MAX_TOKENS_EXCEEDED'],
  },
  // Aliases: __typename costs nothing to plan but is still work per alias.
  { name: '16 __typename aliases', request: graphql(`{ ${times(16, (i) => `t${i}: __typename`)} }`), status: 400, code: 'MAX_ALIASES_EXCEEDED', message: /alias/ },
  { name: '500 __typename aliases', request: graphql(`{ ${times(500, (i) => `t${i}: __typename`)} }`), status: 400, code: 'MAX_ALIASES_EXCEEDED' },
  { name: '16 aliases of a nested field', request: graphql(`{ products { edges { node { ${times(16, (i) => `n${i}: name`)} } } } }`), status: 400, code: 'MAX_ALIASES_EXCEEDED' },
  {
    name: 'aliases split over two spreads of one fragment',
    request: graphql(`{ ...A ... on Query { ...A } } fragment A on Query { ${times(8, (i) => `t${i}: __typename`)} }`),
    status: 400,
    code: 'MAX_ALIASES_EXCEEDED',
  },
  // Root fields: each one is a query plan and subgraph fetches.
  {
    name: '11 distinct root fields',
    request: graphql('{ me { id } user(id: "1") { id } chatRooms { pageInfo { hasNextPage } } chatRoom(id: "1") { id } products { pageInfo { hasNextPage } } product(id: "1") { id } myOrders { pageInfo { hasNextPage } } order(id: "1") { id } orders { pageInfo { hasNextPage } } jobs { name } usersByNickname(nickname: "x") { id } }'),
    status: 400,
    code: 'MAX_ROOT_FIELDS_EXCEEDED',
    message: /root fields/,
  },
  { name: '11 aliases of one root field', request: graphql(`{ ${times(11, (i) => `p${i}: product(id: "${i}") { id }`)} }`), status: 400, code: 'MAX_ROOT_FIELDS_EXCEEDED' },
  {
    name: 'root fields hidden in two fragments',
    request: graphql(`{ ...A ...B } fragment A on Query { ${times(6, (i) => `a${i}: product(id: "${i}") { id }`)} } fragment B on Query { ${times(6, (i) => `b${i}: product(id: "${i}") { id }`)} }`),
    status: 400,
    code: 'MAX_ROOT_FIELDS_EXCEEDED',
  },
  // Directives: graphql-js refuses a repeated non-repeatable directive, so which refusal comes first is the router's choice.
  { name: '6 @skip on one field', request: graphql(`{ __typename ${times(6, () => '@skip(if: false)')} }`), status: 400, code: ['MAX_DIRECTIVES_EXCEEDED', 'GRAPHQL_VALIDATION_FAILED'] },
  { name: '6 unknown directives on one field', request: graphql(`{ __typename ${times(6, (i) => `@d${i}`)} }`), status: 400, code: ['MAX_DIRECTIVES_EXCEEDED', 'GRAPHQL_VALIDATION_FAILED'] },
  { name: '400 directives on one field', request: graphql(`{ __typename ${times(400, () => '@include(if: true)')} }`), status: 400, code: 'MAX_TOKENS_EXCEEDED' },
  { name: 'directives on fragment spreads', request: graphql(`{ ...F ${times(6, () => '@skip(if: false)')} } fragment F on Query { __typename }`), status: 400, code: ['MAX_DIRECTIVES_EXCEEDED', 'GRAPHQL_VALIDATION_FAILED'] },
  // Tokens and sizes.
  { name: '2100 fields (over MAX_TOKENS)', request: graphql(`{ ${times(2100, () => '__typename')} }`), status: 400, code: 'MAX_TOKENS_EXCEEDED', message: /tokens/ },
  // Commas are insignificant, not tokens: they cost the lexer a skip each.
  { name: '2001 commas and one field', request: graphql(`{ ${','.repeat(2001)} __typename }`), status: 200, code: null },
  { name: '200 KB of comment', request: graphql(`{ __typename }\n#${'x'.repeat(200_000)}`), status: 200, code: null },
  { name: '200 KB string literal argument', request: graphql(`{ products(search: "${'a'.repeat(200_000)}") { pageInfo { hasNextPage } } }`), status: [200, 400], code: [null, 'BAD_USER_INPUT'] },
  { name: '200 KB block string argument', request: graphql(`{ products(search: """${'b '.repeat(100_000)}""") { pageInfo { hasNextPage } } }`), status: [200, 400], code: [null, 'BAD_USER_INPUT'] },
  { name: '200 KB id literal', request: graphql(`{ product(id: "${'9'.repeat(200_000)}") { id } }`), status: [200, 400], code: [null, 'BAD_USER_INPUT', 'NOT_FOUND'] },
  { name: 'Int literal past 32 bits', request: graphql('{ products(first: 99999999999999999999) { pageInfo { hasNextPage } } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'Float literal for an Int', request: graphql('{ products(first: 1.5) { pageInfo { hasNextPage } } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'a query that does not parse', request: graphql('{ products { '), status: 400, code: 'GRAPHQL_PARSE_FAILED' },
  { name: 'a lone NUL character as the document', request: graphql('\u0000'), status: 400, code: 'GRAPHQL_PARSE_FAILED' },
  { name: 'an empty document', request: graphql(''), status: 400, code: 'BAD_REQUEST' },
  // Which operation runs.
  { name: 'unknown operationName', request: graphql('query A { __typename }', undefined, undefined, 'B'), status: 400, code: 'OPERATION_RESOLUTION_FAILURE', message: /B/ },
  { name: 'ambiguous: two operations, no operationName', request: graphql('query A { __typename } query B { __typename }'), status: 400, code: 'OPERATION_RESOLUTION_FAILURE' },
  { name: 'two anonymous operations', request: graphql('{ __typename } { __typename }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'operationName for an anonymous operation', request: graphql('{ __typename }', undefined, undefined, 'Named'), status: 400, code: 'OPERATION_RESOLUTION_FAILURE' },
  { name: '10 KB operationName', request: graphql('query A { __typename }', undefined, undefined, 'B'.repeat(10_000)), status: 400, code: 'OPERATION_RESOLUTION_FAILURE', absent: /B{1000}/ },
  { name: 'only fragments, no operation', request: graphql('fragment F on Query { __typename }'), status: 400, code: ['GRAPHQL_VALIDATION_FAILED', 'OPERATION_RESOLUTION_FAILURE'] },
  // Transports.
  {
    name: 'subscription over HTTP POST',
    request: graphql('subscription { messageAdded(roomId: "1") { id } }'),
    status: 400,
    code: 'BAD_REQUEST',
    message: /graphql-ws|WebSocket/i,
  },
  { name: 'mutation over GET', request: get({ query: 'mutation { logOut }' }), status: 405, code: 'BAD_REQUEST', message: /mutation/ },
  { name: 'mutation over GET without the preflight header (CSRF)', request: get({ query: 'mutation { logOut }' }, {}), status: 400, code: 'BAD_REQUEST', message: /CSRF|preflight/i },
  // Production keeps the schema private: no introspection, no suggestions.
  { name: 'introspection: __schema', request: graphql('{ __schema { types { name } } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: INTROSPECTION, absent: /"ChatRoom"/ },
  { name: 'introspection: __type', request: graphql('{ __type(name: "User") { fields { name } } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: INTROSPECTION, absent: /lastLoginAt/ },
  { name: 'introspection hidden in a fragment', request: graphql('{ ...I } fragment I on Query { s: __schema { queryType { name } } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: INTROSPECTION },
  { name: 'introspection over GET', request: get({ query: '{ __schema { types { name } } }' }), status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: INTROSPECTION },
  { name: 'suggestion: misspelt root field', request: graphql('{ produts { pageInfo { hasNextPage } } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED', absent: SUGGESTION },
  { name: 'suggestion: misspelt nested field', request: graphql('{ products { edges { node { nam } } } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED', absent: SUGGESTION },
  { name: 'suggestion: misspelt argument', request: graphql('{ products(serch: "x") { pageInfo { hasNextPage } } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED', absent: SUGGESTION },
  { name: 'suggestion: misspelt type condition', request: graphql('{ ...F } fragment F on Quer { __typename }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED', absent: SUGGESTION },
  { name: 'suggestion: misspelt enum value', request: graphql('{ orders(status: PAI) { pageInfo { hasNextPage } } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED', absent: SUGGESTION },
  { name: 'suggestion: misspelt variable type', request: graphql('query($s: Strin) { products(search: $s) { pageInfo { hasNextPage } } }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED', absent: SUGGESTION },
  {
    name: 'suggestion: misspelt input field in a variable',
    request: graphql('mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }', { input: { emial: 'a@example.com', password: 'pass-word-1', nickname: 'Neo' } }),
    status: 400,
    code: 'BAD_USER_INPUT',
    absent: SUGGESTION,
  },
  {
    name: 'suggestion: misspelt enum value in a variable',
    // As an administrator: the field is theirs, so the variable is what gets refused.
    request: (f) => graphql('query($s: OrderStatus) { orders(status: $s) { pageInfo { hasNextPage } } }', { s: 'PAI' }, f.admin.headers),
    status: 400,
    code: 'BAD_USER_INPUT',
    absent: SUGGESTION,
  },
  { name: 'suggestion over GET', request: get({ query: '{ produts { pageInfo { hasNextPage } } }' }, PREFLIGHTED), status: 400, code: 'GRAPHQL_VALIDATION_FAILED', absent: SUGGESTION },
];

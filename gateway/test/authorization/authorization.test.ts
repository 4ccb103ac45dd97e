import { composeServices } from '@apollo/composition';
import { ApolloGateway, LocalGraphQLDataSource } from '@apollo/gateway';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, print, validate } from 'graphql';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { preparedOperations } from '../../src/authorization/enforce';
import { filterOperation, type RemovedField, type Viewer } from '../../src/authorization/filter';
import { extractAuthPolicy, type AuthPolicy } from '../../src/authorization/policy';
import { restoreRemovedFields } from '../../src/authorization/restore';

const FEDERATION_LINK = (imports: string) =>
  `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", ${imports}])`;

const usersSubgraph = (authenticated: string, requiresScopes: string) => `
  type Query {
    me: User ${authenticated}
    users: [User!]! ${requiresScopes}(scopes: [["admin"]])
    user(id: ID!): User
    node(id: ID!): Node
    search(term: String!): [SearchResult]
  }

  interface Node { id: ID! }

  type User implements Node @key(fields: "id") {
    id: ID!
    name: String!
    email: String! ${requiresScopes}(scopes: [["admin"], ["user", "email:read"]])
    passwordChangedAt: String! ${requiresScopes}(scopes: [["security"]])
    friends: [User]
    auditLog(first: Int): [AuditEntry!]
  }

  """Only admins may see audit entries, wherever they are reached from."""
  type AuditEntry implements Node ${requiresScopes}(scopes: [["admin"]]) {
    id: ID!
    action: String
  }

  union SearchResult = User | AuditEntry
`;

const authSubgraph = (authenticated: string) => `
  type Mutation {
    logOut: Boolean! ${authenticated}
    logIn(email: String!): Boolean!
  }

  type User @key(fields: "id") {
    id: ID!
    lastLoginAt: String ${authenticated}
  }
`;

const USERS_SDL = `${FEDERATION_LINK('"@authenticated", "@requiresScopes"')}\n${usersSubgraph('@authenticated', '@requiresScopes')}`;
const AUTH_SDL = `${FEDERATION_LINK('"@authenticated"')}\n${authSubgraph('@authenticated')}`;

function compose(usersSdl: string, authSdl: string): string {
  const result = composeServices([
    { name: 'users', url: 'http://users.invalid/graphql', typeDefs: parse(usersSdl) },
    { name: 'auth', url: 'http://auth.invalid/graphql', typeDefs: parse(authSdl) },
  ]);
  if (result.errors) throw new Error(result.errors.map((error) => error.message).join('\n'));
  return result.supergraphSdl;
}

const ADA = { id: '1', name: 'Ada', email: 'ada@example.com', passwordChangedAt: '2024-01-01' };
const BOB = { id: '2', name: 'Bob', email: 'bob@example.com', passwordChangedAt: '2024-02-02' };
const AUDIT = { id: 'a1', action: 'login' };

const usersResolvers = {
  Query: {
    me: () => ADA,
    users: () => [ADA, BOB],
    user: (_: unknown, { id }: { id: string }) => [ADA, BOB].find((user) => user.id === id) ?? null,
    node: () => AUDIT,
    search: () => [ADA, AUDIT],
  },
  User: {
    __resolveReference: (reference: { id: string }) => [ADA, BOB].find((user) => user.id === reference.id),
    friends: () => [BOB, null],
    auditLog: () => [AUDIT],
  },
  Node: { __resolveType: (value: object) => ('action' in value ? 'AuditEntry' : 'User') },
  SearchResult: { __resolveType: (value: object) => ('action' in value ? 'AuditEntry' : 'User') },
};

const authResolvers = {
  Mutation: { logOut: () => true, logIn: () => true },
  User: { lastLoginAt: () => '2024-03-03' },
};

const ANONYMOUS = null;
const USER: Viewer = { scopes: new Set(['user']) };
const ADMIN: Viewer = { scopes: new Set(['user', 'admin']) };

const UNAUTHORIZED = (path: string[]) => ({
  message: 'Unauthorized field or type',
  path,
  extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
});

const supergraphSdl = compose(USERS_SDL, AUTH_SDL);
const { policy, strippedSupergraphSdl } = extractAuthPolicy(supergraphSdl);

let gateway: ApolloGateway;
let schema: GraphQLSchema;
let executor: Awaited<ReturnType<ApolloGateway['load']>>['executor'];

beforeAll(async () => {
  gateway = new ApolloGateway({
    supergraphSdl: strippedSupergraphSdl,
    buildService: ({ name }) =>
      new LocalGraphQLDataSource(
        name === 'users'
          ? buildSubgraphSchema({ typeDefs: parse(USERS_SDL), resolvers: usersResolvers as never })
          : buildSubgraphSchema({ typeDefs: parse(AUTH_SDL), resolvers: authResolvers as never }),
      ),
  });
  ({ schema, executor } = await gateway.load());
});

afterAll(async () => {
  await gateway.stop();
});

/** What the router plugin does: filter, execute what is left through the gateway, restore. */
async function run(query: string, viewer: Viewer | null, variables: Record<string, unknown> = {}) {
  const filtered = filterOperation(schema, parse(query), undefined, policy, viewer);
  expect(validate(schema, filtered.document)).toEqual([]);
  const executed = filtered.nothingLeft ? {} : await execute(filtered.document, variables);
  return { filtered, response: restoreRemovedFields(executed, filtered.removed, schema, filtered.document) };
}

async function execute(document: DocumentNode, variables: Record<string, unknown>) {
  const query = print(document);
  const result = await executor({
    request: { query, variables },
    document,
    queryHash: query,
    context: {},
    metrics: {},
    logger: console,
  } as never);
  expect(result.errors).toBeUndefined();
  return { data: result.data as Record<string, unknown> };
}

function filter(query: string, viewer: Viewer | null, operationName?: string) {
  const filtered = filterOperation(schema, parse(query), operationName, policy, viewer);
  expect(validate(schema, filtered.document)).toEqual([]);
  return { ...filtered, printed: print(filtered.document) };
}

const gql = (source: string) => print(parse(source));

describe('extractAuthPolicy', () => {
  it('shows how composition prints the directives in the supergraph', () => {
    expect(supergraphSdl).toContain('@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)');
    expect(supergraphSdl).toContain('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)');
    expect(supergraphSdl).toContain('directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on');
    expect(supergraphSdl).toContain('me: User @join__field(graph: USERS) @authenticated');
  });

  it('reads field and type requirements', () => {
    expect(Object.fromEntries(policy.fields)).toEqual({
      'Query.me': { authenticated: true, scopes: [] },
      'Query.users': { authenticated: false, scopes: [['admin']] },
      'Mutation.logOut': { authenticated: true, scopes: [] },
      'User.email': { authenticated: false, scopes: [['admin'], ['user', 'email:read']] },
      'User.passwordChangedAt': { authenticated: false, scopes: [['security']] },
      'User.lastLoginAt': { authenticated: true, scopes: [] },
    });
    // Composition copies the implementations' requirements onto the interface.
    expect(Object.fromEntries(policy.types)).toEqual({
      AuditEntry: { authenticated: false, scopes: [['admin']] },
      Node: { authenticated: false, scopes: [['admin']] },
    });
  });

  it('strips the directives, their definitions, the Scope scalar and the links', () => {
    expect(strippedSupergraphSdl).not.toMatch(/authenticated|requiresScopes/i);
    expect(strippedSupergraphSdl).toContain('@link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)');
    expect(strippedSupergraphSdl).toContain('Only admins may see audit entries');
  });

  it('produces a supergraph @apollo/gateway accepts, where the original is refused', async () => {
    await expect(loadAndStop(supergraphSdl)).rejects.toThrow(/SECURITY/);
    await expect(loadAndStop(strippedSupergraphSdl)).resolves.toBeUndefined();
  });

  it('honours directives renamed by the subgraphs\' imports', () => {
    const renamedUsers = `${FEDERATION_LINK('{ name: "@authenticated", as: "@loggedIn" }, { name: "@requiresScopes", as: "@scopes" }')}
      ${usersSubgraph('@loggedIn', '@scopes')}`;
    const renamedAuth = `${FEDERATION_LINK('{ name: "@authenticated", as: "@loggedIn" }')}\n${authSubgraph('@loggedIn')}`;
    const renamed = compose(renamedUsers, renamedAuth);
    expect(renamed).toContain('import: [{name: "@requiresScopes", as: "@scopes"}]');

    const extracted = extractAuthPolicy(renamed);
    expectSamePolicy(extracted.policy, policy);
    expect(extracted.strippedSupergraphSdl).not.toMatch(/loggedIn|scopes|requiresScopes|authenticated/i);
  });

  it('honours a namespace given by the link\'s as:', () => {
    const namespaced = supergraphSdl
      .replace('authenticated/v0.1", for: SECURITY', 'authenticated/v0.1", as: "auth", for: SECURITY')
      .replace('requiresScopes/v0.1", for: SECURITY', 'requiresScopes/v0.1", as: "rs", for: SECURITY')
      .replace(/@authenticated\b/g, '@auth')
      .replace(/@requiresScopes\b/g, '@rs')
      .replace(/requiresScopes__Scope/g, 'rs__Scope');

    const extracted = extractAuthPolicy(namespaced);
    expectSamePolicy(extracted.policy, policy);
    expect(extracted.strippedSupergraphSdl).toBe(strippedSupergraphSdl);
  });

  it('refuses an auth spec version it does not know', () => {
    const future = supergraphSdl.replace('authenticated/v0.1', 'authenticated/v0.2');
    expect(() => extractAuthPolicy(future)).toThrow('Unsupported auth spec version');
  });

  it('returns a supergraph without auth links unchanged', () => {
    expect(extractAuthPolicy(strippedSupergraphSdl)).toEqual({
      policy: { fields: new Map(), types: new Map() },
      strippedSupergraphSdl,
    });
  });
});

describe('filterOperation and restoreRemovedFields by viewer', () => {
  const ME_QUERY = `query Me { me { id name email lastLoginAt } user(id: "2") { name } }`;

  it('anonymous: removes me, keeps the public field, nulls me', async () => {
    const { filtered, response } = await run(ME_QUERY, ANONYMOUS);
    expect(print(filtered.document)).toBe(gql(`query Me { user(id: "2") { name } }`));
    expect(filtered.removed).toEqual([{ path: ['me'], nonNull: false }]);
    expect(filtered.nothingLeft).toBe(false);
    expect(response).toEqual({ data: { user: { name: 'Bob' }, me: null }, errors: [UNAUTHORIZED(['me'])] });
  });

  it('user scope: removes the admin-only non-null email, which nulls me', async () => {
    const { filtered, response } = await run(ME_QUERY, USER);
    expect(print(filtered.document)).toBe(gql(`query Me { me { id name lastLoginAt } user(id: "2") { name } }`));
    expect(filtered.removed).toEqual([{ path: ['me', 'email'], nonNull: true }]);
    expect(response).toEqual({ data: { me: null, user: { name: 'Bob' } }, errors: [UNAUTHORIZED(['me', 'email'])] });
  });

  it('admin scope: everything is kept', async () => {
    const { filtered, response } = await run(ME_QUERY, ADMIN);
    expect(print(filtered.document)).toBe(gql(ME_QUERY));
    expect(filtered.removed).toEqual([]);
    expect(response).toEqual({
      data: { me: { id: '1', name: 'Ada', email: 'ada@example.com', lastLoginAt: '2024-03-03' }, user: { name: 'Bob' } },
      errors: [],
    });
  });

  it('a viewer holding every scope of one AND-set passes @requiresScopes', () => {
    const reader: Viewer = { scopes: new Set(['user', 'email:read']) };
    expect(filter(`{ me { email } }`, reader).removed).toEqual([]);
    expect(filter(`{ me { email } }`, { scopes: new Set(['user']) }).removed).toEqual([
      { path: ['me', 'email'], nonNull: true },
    ]);
  });

  it('@authenticated asks for a person (scope user): a service-only token does not pass it', () => {
    expect(filter(`{ me { id } }`, { scopes: new Set(['service']) }).removed).toEqual([{ path: ['me'], nonNull: false }]);
    expect(filter(`{ me { id } }`, USER).removed).toEqual([]);
  });

  it.each([
    ['anonymous', ANONYMOUS],
    ['user scope', USER],
  ])('%s: users is admin-only and non-null, so nothing is left and data is null', async (_, viewer) => {
    const { filtered, response } = await run(`{ users { id } }`, viewer);
    expect(filtered.nothingLeft).toBe(true);
    expect(print(filtered.document)).toBe(gql(`{ __typename }`));
    expect(filtered.removed).toEqual([{ path: ['users'], nonNull: true }]);
    expect(response).toEqual({ data: null, errors: [UNAUTHORIZED(['users'])] });
  });

  it('admin scope: a non-null field removed inside a non-null list nulls the whole response', async () => {
    const { filtered, response } = await run(`{ users { id passwordChangedAt } }`, ADMIN);
    expect(print(filtered.document)).toBe(gql(`{ users { id } }`));
    expect(filtered.removed).toEqual([{ path: ['users', '@', 'passwordChangedAt'], nonNull: true }]);
    expect(response).toEqual({ data: null, errors: [UNAUTHORIZED(['users', '@', 'passwordChangedAt'])] });
  });

  it('admin scope: a nullable list element stops the propagation', async () => {
    const { filtered, response } = await run(`{ me { friends { name passwordChangedAt } } }`, ADMIN);
    expect(filtered.removed).toEqual([{ path: ['me', 'friends', '@', 'passwordChangedAt'], nonNull: true }]);
    expect(response).toEqual({
      data: { me: { friends: [null, null] } },
      errors: [UNAUTHORIZED(['me', 'friends', '@', 'passwordChangedAt'])],
    });
  });

  it.each([
    ['anonymous', ANONYMOUS, { data: null, errors: [UNAUTHORIZED(['logOut'])] }],
    ['user scope', USER, { data: { logOut: true }, errors: [] }],
    ['admin scope', ADMIN, { data: { logOut: true }, errors: [] }],
  ])('%s: mutation logOut', async (_, viewer, expected) => {
    const { filtered, response } = await run(`mutation { logOut }`, viewer);
    expect(filtered.nothingLeft).toBe(viewer === ANONYMOUS);
    expect(response).toEqual(expected);
  });

  it('anonymous: a mutation keeps its public fields', async () => {
    const { filtered, response } = await run(`mutation { logIn(email: "a@b.c") logOut }`, ANONYMOUS);
    expect(print(filtered.document)).toBe(gql(`mutation { logIn(email: "a@b.c") }`));
    expect(response).toEqual({ data: null, errors: [UNAUTHORIZED(['logOut'])] });
  });

  it.each([
    ['user scope', USER, { data: { user: { name: 'Ada', auditLog: null } }, errors: [UNAUTHORIZED(['user', 'auditLog'])] }],
    ['admin scope', ADMIN, { data: { user: { name: 'Ada', auditLog: [{ action: 'login' }] } }, errors: [] }],
  ])('%s: a field returning a protected type', async (_, viewer, expected) => {
    const { response } = await run(`{ user(id: "1") { name auditLog { action } } }`, viewer);
    expect(response).toEqual(expected);
  });

  it('user scope: an emptied selection set becomes __typename', () => {
    const { printed, removed } = filter(`{ user(id: "1") { email } }`, USER);
    expect(printed).toBe(gql(`{ user(id: "1") { __typename } }`));
    expect(removed).toEqual([{ path: ['user', 'email'], nonNull: true }]);
  });

  it('anonymous: __typename is always allowed, even on a protected type', () => {
    const { printed, removed } = filter(`{ __typename search(term: "a") { __typename ... on AuditEntry { __typename id } } }`, ANONYMOUS);
    expect(printed).toBe(gql(`{ __typename search(term: "a") { __typename ... on AuditEntry { __typename } __authRuntimeType: __typename } }`));
    expect(removed).toEqual([{ path: ['search', '@', 'id'], nonNull: true, runtimeTypes: ['AuditEntry'] }]);
  });
});

describe('fragments, aliases and variables', () => {
  const PROFILE = `
    query Profile($id: ID!, $withEmail: Boolean!, $first: Int) {
      me { ...UserParts }
      other: user(id: $id) { ...UserParts }
    }
    fragment UserParts on User {
      id
      handle: name
      mail: email @include(if: $withEmail)
      auditLog(first: $first) { action }
    }`;

  it('anonymous: inlines fragments, removes per use and drops the variables no longer used', async () => {
    const { filtered, response } = await run(PROFILE, ANONYMOUS, { id: '2' });
    expect(print(filtered.document)).toBe(
      gql(`query Profile($id: ID!) { other: user(id: $id) { ... on User { id handle: name } } }`),
    );
    expect(filtered.removed).toEqual([
      { path: ['me'], nonNull: false },
      { path: ['other', 'mail'], nonNull: true },
      { path: ['other', 'auditLog'], nonNull: false },
    ]);
    expect(response).toEqual({
      data: { other: null, me: null },
      errors: [UNAUTHORIZED(['me']), UNAUTHORIZED(['other', 'mail']), UNAUTHORIZED(['other', 'auditLog'])],
    });
  });

  it('admin scope: keeps the variables that are still used', () => {
    const { printed, removed } = filter(PROFILE, ADMIN);
    expect(printed).toContain('query Profile($id: ID!, $withEmail: Boolean!, $first: Int)');
    expect(removed).toEqual([]);
  });

  it('restores into the original document too, through its named fragments and aliases', () => {
    const removed: RemovedField[] = [{ path: ['other', 'mail'], nonNull: true }];
    const data = { other: { id: '2', handle: 'Bob' }, me: { id: '1', handle: 'Ada', mail: 'ada@example.com' } };
    expect(restoreRemovedFields({ data }, removed, schema, parse(PROFILE))).toEqual({
      data: { other: null, me: data.me },
      errors: [UNAUTHORIZED(['other', 'mail'])],
    });
  });

  it('restores by the operation of a multi-operation document that has the removed paths', () => {
    const document = parse(`query Other { users { id } } query Mine { me { name email } }`);
    const filtered = filterOperation(schema, document, 'Mine', policy, USER);
    expect(print(filtered.document)).toBe(gql(`query Mine { me { name } }`));
    const result = { data: { me: { name: 'Ada' } } };
    expect(restoreRemovedFields(result, filtered.removed, schema, document)).toEqual({
      data: { me: null },
      errors: [UNAUTHORIZED(['me', 'email'])],
    });
  });

  it('filters each use of the same response key, and reports a path once', async () => {
    const query = `{ me { name } ... on Query { me { email } } ...Me } fragment Me on Query { me { email } }`;
    const { filtered, response } = await run(query, USER);
    expect(print(filtered.document)).toBe(gql(`{ me { name } ... on Query { me { __typename } } ... on Query { me { __typename } } }`));
    expect(filtered.removed).toHaveLength(2);
    expect(response).toEqual({ data: { me: null }, errors: [UNAUTHORIZED(['me', 'email'])] });
  });

  it('user scope: nulls a field only in the objects its type condition matched', async () => {
    const { filtered, response } = await run(`{ search(term: "a") { ... on User { name } ... on AuditEntry { action } } }`, USER);
    expect(print(filtered.document)).toBe(
      gql(`{ search(term: "a") { ... on User { name } __authRuntimeType: __typename } }`),
    );
    expect(filtered.removed).toEqual([{ path: ['search', '@', 'action'], nonNull: false, runtimeTypes: ['AuditEntry'] }]);
    expect(response).toEqual({
      data: { search: [{ name: 'Ada' }, { action: null }] },
      errors: [UNAUTHORIZED(['search', '@', 'action'])],
    });
  });

  it('anonymous: an interface with a protected implementation is protected', async () => {
    const { filtered, response } = await run(`{ node(id: "a1") { id ... on User { name } } user(id: "1") { name } }`, ANONYMOUS);
    expect(print(filtered.document)).toBe(gql(`{ user(id: "1") { name } }`));
    expect(response).toEqual({ data: { user: { name: 'Ada' }, node: null }, errors: [UNAUTHORIZED(['node'])] });
  });
});

describe('restoreRemovedFields', () => {
  const document = parse(`{ me { name email } }`);
  const removed: RemovedField[] = [{ path: ['me', 'email'], nonNull: true }];

  it('does not mutate its input and keeps the existing errors first', () => {
    const upstreamError = { message: 'boom', path: ['me', 'name'] };
    const result = Object.freeze({ data: Object.freeze({ me: Object.freeze({ name: 'Ada' }) }), errors: [upstreamError] });
    expect(restoreRemovedFields(result, removed, schema, document)).toEqual({
      data: { me: null },
      errors: [upstreamError, UNAUTHORIZED(['me', 'email'])],
    });
    expect(result.data).toEqual({ me: { name: 'Ada' } });
  });

  it('leaves a null parent alone but still reports the path', () => {
    expect(restoreRemovedFields({ data: { me: null } }, removed, schema, document)).toEqual({
      data: { me: null },
      errors: [UNAUTHORIZED(['me', 'email'])],
    });
  });

  it('keeps data null when execution already failed', () => {
    const failed = { data: null, errors: [{ message: 'boom' }] };
    expect(restoreRemovedFields(failed, removed, schema, document)).toEqual({
      data: null,
      errors: [{ message: 'boom' }, UNAUTHORIZED(['me', 'email'])],
    });
  });
});

async function loadAndStop(sdl: string): Promise<void> {
  const candidate = new ApolloGateway({ supergraphSdl: sdl });
  await candidate.load();
  await candidate.stop();
}

function expectSamePolicy(actual: AuthPolicy, expected: AuthPolicy): void {
  expect(Object.fromEntries(actual.fields)).toEqual(Object.fromEntries(expected.fields));
  expect(Object.fromEntries(actual.types)).toEqual(Object.fromEntries(expected.types));
}

describe('prepared operations (enforce.ts)', () => {
  const query = parse('query Team { me { name email } users { name } }');

  test('are made once per document, operation name and what the viewer may see', () => {
    const prepared = preparedOperations();
    const forUser = prepared(schema, policy, query, 'Team', USER);
    // Another person with the same scopes gets the very same preparation.
    expect(prepared(schema, policy, query, 'Team', { scopes: new Set(['user']) })).toBe(forUser);
    expect(forUser.filtered.removed.map((removed) => removed.path.join('.'))).toEqual(['me.email', 'users']);
    expect(forUser.rewrite?.source).not.toContain('users');

    const forAdmin = prepared(schema, policy, query, 'Team', ADMIN);
    expect(forAdmin).not.toBe(forUser);
    expect(forAdmin.filtered.removed).toEqual([]);
    expect(forAdmin.rewrite).toBeUndefined();

    const forAnonymous = prepared(schema, policy, query, 'Team', ANONYMOUS);
    expect(forAnonymous.filtered.nothingLeft).toBe(true);
    expect(forAnonymous.rewrite).toBeUndefined();
  });

  test('a new policy (a supergraph reload) prepares again', () => {
    const prepared = preparedOperations();
    const before = prepared(schema, policy, query, 'Team', USER);
    const reloaded = extractAuthPolicy(supergraphSdl).policy;
    const after = prepared(schema, reloaded, query, 'Team', USER);
    expect(after).not.toBe(before);
    expect(after.rewrite?.queryHash).toBe(before.rewrite?.queryHash);
  });
});

import { randomUUID } from 'node:crypto';
import { graphql, type Fixtures, type HttpCase, type HttpRequest, type HttpResult } from '../harness';

/**
 * Hostile values in every string argument the API takes, and numbers out of range. Sent as an
 * administrator (fixtures.admin), so that no field is refused before its argument is looked at.
 * The fixtures: admin and other (signed in), roomId, messageId, productId, orderId.
 */

/** Characters PostgreSQL cannot store (NUL) or that are not Unicode text at all (a lone surrogate). */
const POISONS = [
  ['NUL', '\u0000'],
  ['lone surrogate', '\ud800'],
] as const;

type Poison = (valid: string) => string;

interface StringArgument {
  /** The argument or input field; the refusal must name it. */
  name: string;
  operation: string;
  variables(f: Fixtures, poison: Poison): Record<string, unknown>;
}

const signUpInput = { email: 'neo.hostile@example.com', password: 'correct horse 42', nickname: 'Neo', locale: 'ko-KR' };
const SIGN_UP = 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }';
const LOG_IN = 'mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { accessToken } }';
const RESET = 'mutation($email: String!, $code: String!, $newPassword: String!) { resetPassword(email: $email, code: $code, newPassword: $newPassword) }';
const CHANGE_PASSWORD = 'mutation($currentPassword: String!, $newPassword: String!) { changePassword(currentPassword: $currentPassword, newPassword: $newPassword) }';
const UPDATE_PROFILE = 'mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }';
const PRODUCTS = 'query($search: String, $category: String, $after: String) { products(search: $search, category: $category, after: $after) { pageInfo { hasNextPage } } }';
const CREATE_ROOM = 'mutation($input: CreateChatRoomInput!) { createChatRoom(input: $input) { id } }';
const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }';
const CREATE_PRODUCT = 'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }';
const PLACE_ORDER = 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }';
const PAY_ORDER = 'mutation($input: PayOrderInput!) { payOrder(input: $input) { id } }';

const productInput = { name: 'Hostile mug', description: 'A mug', category: 'kitchen', price: 1000, stock: 5 };
const sendInput = (f: Fixtures) => ({ roomId: f.roomId, text: 'hello', clientMessageId: randomUUID() });
const orderInput = (f: Fixtures) => ({ items: [{ productId: f.productId, quantity: 1 }], idempotencyKey: randomUUID() });
const payInput = (f: Fixtures) => ({ orderId: f.orderId, paymentKey: 'sandbox-card-approve', amount: 1000 });

const STRING_ARGUMENTS: StringArgument[] = [
  ...(['email', 'password', 'nickname', 'locale'] as const).map((name) => ({
    name,
    operation: SIGN_UP,
    variables: (_f: Fixtures, poison: Poison) => ({ input: { ...signUpInput, email: `${randomUUID()}@example.com`, [name]: poison(name === 'email' ? `${randomUUID()}@example.com` : signUpInput[name]) } }),
  })),
  { name: 'email', operation: LOG_IN, variables: (f, poison) => ({ email: poison(f.other.email), password: 'wrong password 1' }) },
  { name: 'password', operation: LOG_IN, variables: (_f, poison) => ({ email: `nobody.${randomUUID()}@example.com`, password: poison('wrong password 1') }) },
  { name: 'refreshToken', operation: 'mutation($refreshToken: String!) { refreshSession(refreshToken: $refreshToken) { accessToken } }', variables: (_f, poison) => ({ refreshToken: poison('not-a-refresh-token') }) },
  { name: 'email', operation: 'mutation($email: String!) { requestPasswordReset(email: $email) }', variables: (_f, poison) => ({ email: poison('nobody@example.com') }) },
  ...(['email', 'code', 'newPassword'] as const).map((name) => ({
    name,
    operation: RESET,
    variables: (_f: Fixtures, poison: Poison) => ({ email: 'nobody@example.com', code: '123456', newPassword: 'new password 42', [name]: poison({ email: 'nobody@example.com', code: '123456', newPassword: 'new password 42' }[name]) }),
  })),
  { name: 'currentPassword', operation: CHANGE_PASSWORD, variables: (_f, poison) => ({ currentPassword: poison('wrong password 1'), newPassword: 'new password 42' }) },
  { name: 'newPassword', operation: CHANGE_PASSWORD, variables: (_f, poison) => ({ currentPassword: 'wrong password 1', newPassword: poison('new password 42') }) },
  { name: 'nickname', operation: 'query($nickname: String!) { usersByNickname(nickname: $nickname) { id } }', variables: (_f, poison) => ({ nickname: poison('Neo') }) },
  { name: 'search', operation: 'query($search: String) { users(search: $search) { pageInfo { hasNextPage } } }', variables: (_f, poison) => ({ search: poison('Neo') }) },
  ...(['nickname', 'avatarUrl', 'bio', 'locale'] as const).map((name) => ({
    name,
    operation: UPDATE_PROFILE,
    variables: (_f: Fixtures, poison: Poison) => ({ input: { [name]: poison({ nickname: 'Admin', avatarUrl: 'https://example.com/a.png', bio: 'Hello', locale: 'ko-KR' }[name]) } }),
  })),
  { name: 'reason', operation: 'mutation($userId: ID!, $reason: String) { setUserStatus(userId: $userId, status: ACTIVE, reason: $reason) { id } }', variables: (f, poison) => ({ userId: f.other.id, reason: poison('checked') }) },
  { name: 'userId', operation: 'mutation($userId: ID!) { setUserRoles(userId: $userId, roles: [USER]) { id } }', variables: (f, poison) => ({ userId: poison(f.other.id) }) },
  ...(['search', 'category', 'after'] as const).map((name) => ({ name, operation: PRODUCTS, variables: (_f: Fixtures, poison: Poison) => ({ [name]: poison('mug') }) })),
  { name: 'id', operation: 'query($id: ID!) { product(id: $id) { id } }', variables: (f, poison) => ({ id: poison(f.productId) }) },
  { name: 'id', operation: 'query($id: ID!) { user(id: $id) { id } }', variables: (f, poison) => ({ id: poison(f.other.id) }) },
  { name: 'id', operation: 'query($id: ID!) { chatRoom(id: $id) { id } }', variables: (f, poison) => ({ id: poison(f.roomId) }) },
  { name: 'id', operation: 'query($id: ID!) { order(id: $id) { id } }', variables: (f, poison) => ({ id: poison(f.orderId) }) },
  { name: 'after', operation: 'query($after: String) { chatRooms(after: $after) { pageInfo { hasNextPage } } }', variables: (_f, poison) => ({ after: poison('cursor') }) },
  { name: 'before', operation: 'query($id: ID!, $before: String) { chatRoom(id: $id) { messages(before: $before) { pageInfo { hasNextPage } } } }', variables: (f, poison) => ({ id: f.roomId, before: poison('cursor') }) },
  { name: 'after', operation: 'query($after: String) { myOrders(after: $after) { pageInfo { hasNextPage } } }', variables: (_f, poison) => ({ after: poison('cursor') }) },
  { name: 'after', operation: 'query($after: String) { orders(after: $after) { pageInfo { hasNextPage } } }', variables: (_f, poison) => ({ after: poison('cursor') }) },
  { name: 'job', operation: 'query($job: String) { jobRuns(job: $job) { pageInfo { hasNextPage } } }', variables: (_f, poison) => ({ job: poison('session-cleanup') }) },
  { name: 'name', operation: 'mutation($name: String!) { runJob(name: $name) { id } }', variables: (_f, poison) => ({ name: poison('session-cleanup') }) },
  { name: 'name', operation: 'mutation($name: String!) { setJobEnabled(name: $name, enabled: true) { name } }', variables: (_f, poison) => ({ name: poison('session-cleanup') }) },
  { name: 'date', operation: 'query($date: Date!) { dailyReport(date: $date) { newUsers } }', variables: (_f, poison) => ({ date: poison('2026-01-01') }) },
  { name: 'title', operation: CREATE_ROOM, variables: (f, poison) => ({ input: { kind: 'GROUP', title: poison('Room'), memberIds: [f.other.id] } }) },
  { name: 'memberIds', operation: CREATE_ROOM, variables: (f, poison) => ({ input: { kind: 'DIRECT', memberIds: [poison(f.other.id)] } }) },
  ...(['text', 'clientMessageId', 'roomId'] as const).map((name) => ({ name, operation: SEND, variables: (f: Fixtures, poison: Poison) => ({ input: { ...sendInput(f), [name]: poison(sendInput(f)[name]) } }) })),
  { name: 'messageId', operation: 'mutation($roomId: ID!, $messageId: ID!) { markRoomRead(roomId: $roomId, messageId: $messageId) { id } }', variables: (f, poison) => ({ roomId: f.roomId, messageId: poison(f.messageId) }) },
  { name: 'roomId', operation: 'mutation($roomId: ID!) { leaveChatRoom(roomId: $roomId) }', variables: (f, poison) => ({ roomId: poison(f.roomId) }) },
  ...(['name', 'description', 'category'] as const).map((name) => ({ name, operation: CREATE_PRODUCT, variables: (_f: Fixtures, poison: Poison) => ({ input: { ...productInput, [name]: poison(productInput[name]) } }) })),
  { name: 'id', operation: 'mutation($id: ID!) { updateProduct(id: $id, input: { stock: 5 }) { id } }', variables: (f, poison) => ({ id: poison(f.productId) }) },
  { name: 'name', operation: 'mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }', variables: (f, poison) => ({ id: f.productId, input: { name: poison('Renamed mug') } }) },
  { name: 'idempotencyKey', operation: PLACE_ORDER, variables: (f, poison) => ({ input: { ...orderInput(f), idempotencyKey: poison(randomUUID()) } }) },
  { name: 'productId', operation: PLACE_ORDER, variables: (f, poison) => ({ input: { ...orderInput(f), items: [{ productId: poison(f.productId), quantity: 1 }] } }) },
  { name: 'orderId', operation: PAY_ORDER, variables: (f, poison) => ({ input: { ...payInput(f), orderId: poison(f.orderId) } }) },
  { name: 'paymentKey', operation: PAY_ORDER, variables: (f, poison) => ({ input: { ...payInput(f), paymentKey: poison('sandbox-card-approve') } }) },
  { name: 'reason', operation: 'mutation($orderId: ID!, $reason: String) { cancelOrder(orderId: $orderId, reason: $reason) { id } }', variables: (_f, poison) => ({ orderId: 'no-such-order', reason: poison('changed my mind') }) },
  { name: 'orderId', operation: 'mutation($orderId: ID!) { shipOrder(orderId: $orderId) { id } }', variables: (f, poison) => ({ orderId: poison(f.orderId) }) },
];

const asAdmin = (f: Fixtures, query: string, variables: Record<string, unknown>): HttpRequest => graphql(query, variables, f.admin.headers);

const poisonCases: HttpCase[] = STRING_ARGUMENTS.flatMap((argument) =>
  POISONS.map(([what, bad]): HttpCase => {
    const rootField = /\{\s*(\w+)/.exec(argument.operation)![1];
    return {
      name: `${what} in ${rootField}(${argument.name})`,
      request: (f) => asAdmin(f, argument.operation, argument.variables(f, (valid) => `${valid.slice(0, 1)}${bad}${valid.slice(1)}`)),
      status: 400,
      code: 'BAD_USER_INPUT',
      message: new RegExp(`\\b${argument.name}\\b`),
    };
  }),
);

const literalPoisonCases: HttpCase[] = [
  { name: 'NUL in a string literal: products(search:)', request: graphql('{ products(search: "a\\u0000b") { pageInfo { hasNextPage } } }'), status: 400, code: 'BAD_USER_INPUT', message: /search/ },
  { name: 'lone surrogate in a string literal: products(search:)', request: graphql('{ products(search: "a\\ud800b") { pageInfo { hasNextPage } } }'), status: 400, code: ['BAD_USER_INPUT', 'GRAPHQL_PARSE_FAILED'], message: /search|surrogate|Unicode/i },
  {
    name: 'NUL in a string literal: signUp nickname',
    request: graphql(`mutation { signUp(input: { email: "${randomUUID()}@example.com", password: "correct horse 42", nickname: "N\\u0000eo" }) { accessToken } }`),
    status: 400,
    code: 'BAD_USER_INPUT',
    message: /nickname/,
  },
  { name: 'NUL in a string literal: sendMessage text', request: (f) => graphql(`mutation { sendMessage(input: { roomId: "${f.roomId}", text: "a\\u0000b", clientMessageId: "${randomUUID()}" }) { id } }`, undefined, f.admin.headers), status: 400, code: 'BAD_USER_INPUT', message: /text/ },
];

const PAGE = 'query($first: Int) { products(first: $first) { edges { node { id } } } }';

/** A deeply nested JSON array, written by hand (JSON.stringify would recurse as deep). */
const nestedArray = (depth: number, inner: string) => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;

/** The body's JSON nests deeper than MAX_JSON_DEPTH (128): refused as it is parsed, before coercion recurses through it. */
const tooDeep = { status: 400, code: 'BAD_REQUEST', message: /more than 128 levels deep/, check: (r: HttpResult) => expect(r.json?.errors?.[0]?.extensions?.limit).toBe(128) } as const;

const numberCases: HttpCase[] = [
  { name: 'Int variable past 32 bits', request: (f) => graphql(PLACE_ORDER, { input: { ...orderInput(f), items: [{ productId: f.productId, quantity: 2147483648 }] } }, f.admin.headers), status: 400, code: 'BAD_USER_INPUT', message: /quantity/ },
  { name: '1.5 for an Int variable', request: graphql(PAGE, { first: 1.5 }), status: 400, code: 'BAD_USER_INPUT', message: /first/ },
  { name: '"10" (a string) for an Int variable', request: graphql(PAGE, { first: '10' }), status: 400, code: 'BAD_USER_INPUT', message: /first/ },
  { name: '1e400 (Infinity) for an Int variable', request: { body: `{"query": ${JSON.stringify(PAGE)}, "variables": {"first": 1e400}}`, headers: { 'content-type': 'application/json' } }, status: 400, code: 'BAD_USER_INPUT', message: /first/ },
  { name: 'negative first: products', request: graphql(PAGE, { first: -1 }), status: 400, code: 'BAD_USER_INPUT', message: /first/ },
  { name: 'negative first: chatRooms', request: (f) => graphql('{ chatRooms(first: -5) { pageInfo { hasNextPage } } }', undefined, f.admin.headers), status: 400, code: 'BAD_USER_INPUT', message: /first/ },
  { name: 'negative last: messages', request: (f) => graphql('query($id: ID!) { chatRoom(id: $id) { messages(last: -1) { pageInfo { hasNextPage } } } }', { id: f.roomId }, f.admin.headers), status: 400, code: 'BAD_USER_INPUT', message: /last/ },
  { name: 'negative first: usersByNickname', request: (f) => graphql('{ usersByNickname(nickname: "Neo", first: -1) { id } }', undefined, f.admin.headers), status: 400, code: 'BAD_USER_INPUT', message: /first/ },
  { name: 'huge first (a million)', request: graphql(PAGE, { first: 1_000_000 }), status: 400, code: 'MAX_COST_EXCEEDED' },
  { name: 'first at the Int maximum', request: graphql(PAGE, { first: 2147483647 }), status: 400, code: 'MAX_COST_EXCEEDED' },
  { name: 'huge first as the variable default', request: graphql('query($first: Int = 1000000) { products(first: $first) { edges { node { id } } } }'), status: 400, code: 'MAX_COST_EXCEEDED' },
  { name: 'negative quantity', request: (f) => graphql(PLACE_ORDER, { input: { ...orderInput(f), items: [{ productId: f.productId, quantity: -1 }] } }, f.admin.headers), status: 400, code: 'BAD_USER_INPUT', message: /quantity/ },
  { name: 'quantity at the Int maximum', request: (f) => graphql(PLACE_ORDER, { input: { ...orderInput(f), items: [{ productId: f.productId, quantity: 2147483647 }] } }, f.admin.headers), status: [400, 409], code: ['BAD_USER_INPUT', 'CONFLICT'] },
  { name: 'negative payment amount', request: (f) => graphql(PAY_ORDER, { input: { ...payInput(f), amount: -1000 } }, f.admin.headers), status: 400, code: 'BAD_USER_INPUT', message: /amount/ },
  { name: 'negative price', request: (f) => graphql(CREATE_PRODUCT, { input: { ...productInput, price: -1 } }, f.admin.headers), status: 400, code: 'BAD_USER_INPUT', message: /price/ },
  { name: 'an impossible date', request: (f) => graphql('query($date: Date!) { dailyReport(date: $date) { newUsers } }', { date: '2026-02-30' }, f.admin.headers), status: 400, code: 'BAD_USER_INPUT', message: /date/ },
  {
    name: 'memberIds nested 100 lists deep',
    request: (f) => ({ body: `{"query": ${JSON.stringify(CREATE_ROOM)}, "variables": {"input": {"kind": "GROUP", "title": "t", "memberIds": ${nestedArray(100, JSON.stringify(f.other.id))}}}}`, headers: { 'content-type': 'application/json', ...f.admin.headers } }),
    status: 400,
    code: 'BAD_USER_INPUT',
    message: /memberIds/,
  },
  {
    name: 'memberIds nested 1000 lists deep',
    request: (f) => ({ body: `{"query": ${JSON.stringify(CREATE_ROOM)}, "variables": {"input": {"kind": "GROUP", "title": "t", "memberIds": ${nestedArray(1000, JSON.stringify(f.other.id))}}}}`, headers: { 'content-type': 'application/json', ...f.admin.headers } }),
    ...tooDeep,
  },
  {
    name: 'memberIds nested 100 000 lists deep',
    request: (f) => ({ body: `{"query": ${JSON.stringify(CREATE_ROOM)}, "variables": {"input": {"kind": "GROUP", "title": "t", "memberIds": ${nestedArray(100_000, '"x"')}}}}`, headers: { 'content-type': 'application/json', ...f.admin.headers } }),
    ...tooDeep,
  },
  { name: 'an object nested 40 000 deep in a String variable', request: { body: `{"query": ${JSON.stringify(PRODUCTS)}, "variables": {"search": ${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}}}`, headers: { 'content-type': 'application/json' } }, ...tooDeep },
  { name: 'extensions nested 10 000 deep', request: { body: `{"query": ${JSON.stringify(PRODUCTS)}, "extensions": {"x": ${nestedArray(10_000, '1')}}}`, headers: { 'content-type': 'application/json' } }, ...tooDeep },
];

export const variableCases: HttpCase[] = [...poisonCases, ...literalPoisonCases, ...numberCases];

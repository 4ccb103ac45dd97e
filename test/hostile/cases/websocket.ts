import type { Fixtures } from '../harness';
import type { RawSocket, WsCase, WsOutcome } from '../rawSocket';

/** Hostile graphql-ws traffic on the router's /graphql socket (close codes from graphql-ws' protocol). */

const times = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join(' ');

/** Connects as the administrator (or `as`), subscribes once with this payload, and reports what followed. */
const subscribeWith = (payload: (f: Fixtures) => Record<string, unknown>, as: (f: Fixtures) => { headers: { authorization: string } } = (f) => f.admin) => async (socket: RawSocket, f: Fixtures) => {
  await socket.init({ authorization: as(f).headers.authorization });
  socket.send({ type: 'subscribe', id: '1', payload: payload(f) });
  return socket.outcome();
};

const MESSAGE_ADDED = 'subscription($roomId: ID!) { messageAdded(roomId: $roomId) { id } }';
const onRoom = (f: Fixtures) => ({ query: MESSAGE_ADDED, variables: { roomId: f.roomId } });
/** Its first event is the order as it is: refused, nothing of the order may come. */
const ORDER_STATUS = 'subscription($orderId: ID!) { orderStatusChanged(orderId: $orderId) { id status total { amount } buyer { id } } }';
const onOrder = (orderId: (f: Fixtures) => string) => (f: Fixtures) => ({ query: ORDER_STATUS, variables: { orderId: orderId(f) } });
const asOther = (f: Fixtures) => f.other;
const sendsNoData = (outcome: WsOutcome) => expect(outcome.data).toBeUndefined();
const sendRaw = (frames: (f: Fixtures) => unknown[], init = true) => async (socket: RawSocket, f: Fixtures) => {
  if (init) await socket.init({ authorization: f.admin.headers.authorization });
  for (const frame of frames(f)) socket.send(frame);
  return socket.outcome();
};

const deepMessage = (levels: number): string => (levels === 0 ? 'id' : `chatRooms { edges { node { members { ${deepMessage(levels - 1)} } } } }`);

/** Upper bound of subscriptions one socket may hold: the cap's exact value is the router's to choose. */
const SUBSCRIBES = 1000;

export const websocketCases: WsCase[] = [
  // Protocol abuse: graphql-ws closes with its own codes.
  { name: 'subscribe before connection_init', run: sendRaw((f) => [{ type: 'subscribe', id: '1', payload: onRoom(f) }], false), close: 4401 },
  { name: 'a frame that is not JSON', run: sendRaw(() => ['{not json']), close: 4400 },
  { name: 'a JSON array frame', run: sendRaw(() => ['[1,2,3]']), close: 4400 },
  { name: 'an unknown message type', run: sendRaw(() => [{ type: 'gimme', id: '1' }]), close: 4400 },
  { name: 'subscribe without an id', run: sendRaw((f) => [{ type: 'subscribe', payload: onRoom(f) }]), close: 4400 },
  { name: 'subscribe without a payload', run: sendRaw(() => [{ type: 'subscribe', id: '1' }]), close: 4400 },
  { name: 'a binary frame of garbage', run: sendRaw(() => [Buffer.from([0xff, 0x00, 0xfe, 0x01])]), close: 4400 },
  { name: 'connection_init twice', run: sendRaw(() => [{ type: 'connection_init', payload: {} }]), close: 4429 },
  { name: 'connection_init with a string payload', run: sendRaw(() => [{ type: 'connection_init', payload: 'x' }], false), close: 4400 },
  { name: 'connection_init with a forged token', run: sendRaw(() => [{ type: 'connection_init', payload: { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.' } }], false), close: 4403 },
  { name: 'two subscriptions with one id', run: sendRaw((f) => [{ type: 'subscribe', id: 'dup', payload: onRoom(f) }, { type: 'subscribe', id: 'dup', payload: onRoom(f) }]), close: 4409 },
  { name: 'no graphql-transport-ws subprotocol', protocol: '', run: sendRaw(() => [{ type: 'connection_init', payload: {} }], false), close: 4406 },
  { name: 'a 300 KB frame (over MAX_BODY_BYTES)', run: sendRaw((f) => [{ type: 'subscribe', id: '1', payload: { ...onRoom(f), extensions: { pad: 'x'.repeat(300 * 1024) } } }]), close: 1009 },
  { name: 'a 1 MB frame before connection_init', run: sendRaw(() => ['x'.repeat(1024 * 1024)], false), close: 1009 },
  {
    name: `${SUBSCRIBES} subscribes on one socket`,
    messages: SUBSCRIBES,
    run: async (socket, f) => {
      await socket.init({ authorization: f.admin.headers.authorization });
      for (let i = 0; i < SUBSCRIBES; i++) socket.send({ type: 'subscribe', id: `s${i}`, payload: onRoom(f) });
      // Until the first refusal: on a busy machine the router takes seconds to reach the 101st.
      return socket.outcome(15_000);
    },
    // Over a per-connection cap: the extra subscribes are refused, or the socket is closed (4xxx).
    check: (outcome) => expect(outcome.errorFrames > 0 || (outcome.closeCode ?? 0) >= 4000).toBe(true),
  },
  // Operations over the socket meet the limits they meet over HTTP.
  { name: 'a query over ws', run: subscribeWith(() => ({ query: '{ __typename }' })), code: 'BAD_REQUEST' },
  { name: 'a mutation over ws', run: subscribeWith(() => ({ query: 'mutation { logOut }' })), code: 'BAD_REQUEST' },
  {
    name: 'fragment bomb over ws',
    run: subscribeWith((f) => ({
      query: `subscription($roomId: ID!) { messageAdded(roomId: $roomId) { ...M0 } } ${times(40, (i) => `fragment M${i} on Message { ...M${i + 1} ...M${i + 1} }`)} fragment M40 on Message { id }`,
      variables: { roomId: f.roomId },
    })),
    code: 'MAX_FIELDS_EXCEEDED',
  },
  { name: 'nesting 50 levels over ws', run: subscribeWith((f) => ({ query: `subscription($roomId: ID!) { messageAdded(roomId: $roomId) { sender { ${deepMessage(12)} } } }`, variables: { roomId: f.roomId } })), code: 'MAX_DEPTH_EXCEEDED' },
  { name: '16 __typename aliases over ws', run: subscribeWith((f) => ({ query: `subscription($roomId: ID!) { messageAdded(roomId: $roomId) { ${times(16, (i) => `t${i}: __typename`)} } }`, variables: { roomId: f.roomId } })), code: 'MAX_ALIASES_EXCEEDED' },
  { name: '2100 tokens over ws', run: subscribeWith((f) => ({ query: `subscription($roomId: ID!) { messageAdded(roomId: $roomId) { ${times(2100, () => 'id')} } }`, variables: { roomId: f.roomId } })), code: 'MAX_TOKENS_EXCEEDED' },
  { name: 'suggestion over ws: misspelt field', run: subscribeWith(() => ({ query: 'subscription { messageAded(roomId: "1") { id } }' })), code: 'GRAPHQL_VALIDATION_FAILED', absent: /Did you mean/i },
  { name: 'suggestion over ws: misspelt argument', run: subscribeWith(() => ({ query: 'subscription { messageAdded(roomID: "1") { id } }' })), code: 'GRAPHQL_VALIDATION_FAILED', absent: /Did you mean/i },
  { name: 'introspection over ws', run: subscribeWith(() => ({ query: 'subscription { messageAdded(roomId: "1") { __type(name: "User") { name } } }' })), code: 'GRAPHQL_VALIDATION_FAILED' },
  {
    name: 'variables nested 100 000 lists deep over ws',
    run: sendRaw(() => [`{"type":"subscribe","id":"1","payload":{"query":${JSON.stringify(MESSAGE_ADDED)},"variables":{"roomId":${'['.repeat(100_000)}"x"${']'.repeat(100_000)}}}}`]),
    code: 'BAD_REQUEST',
    message: /more than 128 levels deep/,
  },
  { name: 'NUL in roomId over ws', run: subscribeWith((f) => ({ query: MESSAGE_ADDED, variables: { roomId: `${f.roomId}\u0000` } })), code: 'BAD_USER_INPUT', message: /roomId/ },
  { name: 'lone surrogate in roomId over ws', run: subscribeWith((f) => ({ query: MESSAGE_ADDED, variables: { roomId: `\ud800${f.roomId}` } })), code: 'BAD_USER_INPUT', message: /roomId/ },
  // Another's order: its status feed starts with the order itself, so a refusal must come before any of it.
  { name: "another user's order status over ws", run: subscribeWith(onOrder((f) => f.orderId), asOther), code: 'FORBIDDEN', check: sendsNoData },
  { name: 'an order nobody has over ws', run: subscribeWith(onOrder(() => '0190a5f0-0000-7000-8000-000000000000'), asOther), code: ['NOT_FOUND', 'FORBIDDEN'], check: sendsNoData },
  { name: 'an order id that is no UUID over ws', run: subscribeWith(onOrder(() => "1' or '1'='1"), asOther), code: ['BAD_USER_INPUT', 'NOT_FOUND', 'FORBIDDEN'], check: sendsNoData },
  { name: 'unknown operationName over ws', run: subscribeWith((f) => ({ query: 'subscription A($roomId: ID!) { messageAdded(roomId: $roomId) { id } }', variables: { roomId: f.roomId }, operationName: 'B' })), code: ['OPERATION_RESOLUTION_FAILURE', 'BAD_REQUEST'] },
];

import { randomUUID } from 'node:crypto';
import { createClient, type Client, type ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import type { ProcessStack } from '@dorandoran/test-support/processes';

/** What a client saw for one request: an HTTP status, or that it gave up (timeout) or could not connect. */
export interface Outcome {
  label: string;
  at: number;
  ms: number;
  status: number | 'timeout' | 'network-error';
  data?: Record<string, any> | null;
  codes: string[];
  /** The first error's message, for the report. */
  message?: string;
}

export interface Person {
  id: string;
  email: string;
  password: string;
  headers: { authorization: string };
}

/** POST one operation, giving up after timeoutMs (as an impatient client does). Never throws. */
export async function request(
  url: string,
  label: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  timeoutMs = 5000,
): Promise<Outcome> {
  const at = Date.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let body: { data?: Record<string, any> | null; errors?: { message?: string; extensions?: { code?: string } }[] } = {};
    try {
      body = JSON.parse(text);
    } catch {
      body = { errors: [{ extensions: { code: `non-JSON body: ${text.slice(0, 80)}` } }] };
    }
    const codes = (body.errors ?? []).map((error) => error.extensions?.code ?? 'no code');
    return { label, at, ms: Date.now() - at, status: response.status, data: body.data, codes, message: body.errors?.[0]?.message };
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError';
    return { label, at, ms: Date.now() - at, status: timedOut ? 'timeout' : 'network-error', codes: [] };
  }
}

/** True when the operation answered 200 with its data and no errors. */
export const ok = (outcome: Outcome) => outcome.status === 200 && outcome.codes.length === 0 && outcome.data != null;

export const PRODUCTS = '{ products(first: 3) { edges { node { id name } } } }';
export const ME = '{ me { id nickname } }';
export const CHAT_ROOMS = '{ chatRooms(first: 5) { edges { node { id } } } }';
export const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id text } }';
export const MESSAGES = 'query($id: ID!) { chatRoom(id: $id) { messages(last: 50) { edges { node { id text } } } } }';
export const MESSAGE_ADDED = 'subscription($roomId: ID!) { messageAdded(roomId: $roomId) { id text } }';

export async function signUp(routerUrl: string, nickname: string): Promise<Person> {
  const input = { email: `${nickname.toLowerCase()}.${randomUUID().slice(0, 8)}@example.com`, password: 'correct horse 42', nickname };
  const outcome = await request(
    routerUrl,
    'signUp',
    'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }',
    { input },
    {},
    30_000,
  );
  if (!ok(outcome)) throw new Error(`signUp failed: ${JSON.stringify(outcome)}`);
  const { accessToken, user } = outcome.data!.signUp;
  return { id: user.id, email: input.email, password: input.password, headers: { authorization: `Bearer ${accessToken}` } };
}

export async function createRoom(routerUrl: string, creator: Person, other: Person): Promise<string> {
  const outcome = await request(
    routerUrl,
    'createChatRoom',
    'mutation($input: CreateChatRoomInput!) { createChatRoom(input: $input) { id } }',
    { input: { kind: 'GROUP', title: 'Faults', memberIds: [other.id] } },
    creator.headers,
    10_000,
  );
  if (!ok(outcome)) throw new Error(`createChatRoom failed: ${JSON.stringify(outcome)}`);
  return outcome.data!.createChatRoom.id;
}

export async function sendMessage(routerUrl: string, sender: Person, roomId: string, text: string, timeoutMs = 10_000): Promise<Outcome> {
  return request(routerUrl, 'sendMessage', SEND, { input: { roomId, text, clientMessageId: randomUUID() } }, sender.headers, timeoutMs);
}

export async function roomTexts(routerUrl: string, reader: Person, roomId: string): Promise<string[]> {
  const outcome = await request(routerUrl, 'chatRoom', MESSAGES, { id: roomId }, reader.headers, 10_000);
  if (!ok(outcome)) throw new Error(`chatRoom failed: ${JSON.stringify(outcome)}`);
  return outcome.data!.chatRoom.messages.edges.map((edge: { node: { text: string } }) => edge.node.text);
}

/**
 * Steady load: every `intervalMs` one of the operations, in turn, each with its own client
 * timeout. Keeps every outcome, for the assertions and the report.
 */
export function startLoad(
  routerUrl: string,
  operations: { label: string; query: string; headers?: Record<string, string> }[],
  options: { intervalMs: number; timeoutMs: number },
): { outcomes: Outcome[]; stop(): Promise<Outcome[]> } {
  const outcomes: Outcome[] = [];
  const inFlight = new Set<Promise<void>>();
  let turn = 0;
  const timer = setInterval(() => {
    const operation = operations[turn++ % operations.length];
    const sent = request(routerUrl, operation.label, operation.query, {}, operation.headers ?? {}, options.timeoutMs).then((outcome) => {
      outcomes.push(outcome);
    });
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
  }, options.intervalMs);
  return {
    outcomes,
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
      return outcomes.sort((a, b) => a.at - b.at);
    },
  };
}

/** Outcomes counted by label and what came back: `me 200 ×12, chatRooms 503 SERVICE_UNAVAILABLE ×4`. */
export function tally(outcomes: Outcome[]): string {
  const counts = new Map<string, number>();
  for (const outcome of outcomes) {
    const key = [outcome.label, outcome.status, ...new Set(outcome.codes)].join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, count]) => `${key} ×${count}`).join(', ') || 'none';
}

/** Polls the probe until it is true; returns how long that took, or throws naming what did not happen. */
export async function timeUntil(probe: () => Promise<boolean>, what: string, timeoutMs: number, pollMs = 100): Promise<number> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return Date.now() - started;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A service's GET /health body (the router's and chat's count subscriptions). */
export async function health(graphqlUrl: string): Promise<Record<string, any>> {
  const response = await fetch(graphqlUrl.replace(/\/graphql$/, '/health'), { signal: AbortSignal.timeout(3000) });
  return (await response.json()) as Record<string, any>;
}

export type MessageEvent = ExecutionResult<{ messageAdded: { id: string; text: string } }>;

/**
 * One graphql-ws client following a room, recording what it receives and how its sockets close.
 * `retry`: reconnect as the web app does (graphql-ws backoff, 2^n s plus 0.3–3 s, capped at 10 s;
 * every close is retried); without it the first close ends the subscription, so the test sees it.
 */
export function follow(routerUrl: string, person: Person, roomId: string, options: { retry: boolean }) {
  const events: { at: number; result: MessageEvent }[] = [];
  const closeCodes: number[] = [];
  let connections = 0;
  let ended: { at: number; error?: unknown } | undefined;
  const client: Client = createClient({
    url: routerUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: person.headers.authorization },
    lazy: true,
    ...(options.retry
      ? {
          retryAttempts: Infinity,
          shouldRetry: () => true,
          retryWait: (retries: number) => sleep(Math.min(1000 * 2 ** retries, 10_000) + 300 + Math.random() * 2700).then(() => undefined),
        }
      : { retryAttempts: 0 }),
    on: {
      connected: () => void connections++,
      closed: (event) => void closeCodes.push((event as { code: number }).code),
    },
  });
  client.subscribe<MessageEvent['data']>(
    { query: MESSAGE_ADDED, variables: { roomId } },
    {
      next: (result) => void events.push({ at: Date.now(), result: result as MessageEvent }),
      error: (error) => void (ended = { at: Date.now(), error }),
      complete: () => void (ended ??= { at: Date.now() }),
    },
  );
  return {
    events,
    closeCodes,
    get connections() {
      return connections;
    },
    get ended() {
      return ended;
    },
    received: (text: string) => events.some((event) => event.result.data?.messageAdded?.text === text),
    dispose: () => client.dispose(),
  };
}
export type Follower = ReturnType<typeof follow>;

/** The number of subscriptions the chat subgraph serves now (0 while it is down). */
export const chatSubscriptions = async (stack: ProcessStack) =>
  ((await health(stack.services.chat.url).catch(() => ({ subscriptions: 0 }))).subscriptions as number) ?? 0;

/** Runs a scenario; on failure the error carries the end of the services' log (shown only then). */
export async function withServiceLog(stack: ProcessStack, scenario: () => Promise<void>): Promise<void> {
  try {
    await scenario();
  } catch (error) {
    const log = await stack.readLog();
    if (error instanceof Error) error.message += `\n--- services' log (${stack.logFile}), last lines ---\n${log.split('\n').slice(-60).join('\n')}`;
    throw error;
  }
}

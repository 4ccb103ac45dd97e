import { createServer, request, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { closeServer, listen } from '@dorandoran/service-kit';

/**
 * Stopping a service's HTTP server (closeServer): what is being asked is answered, and the server is
 * closed once it has, whatever connections clients keep open.
 */

let server: Server;
let port: number;
/** When the server last finished an answer. */
let answeredAt: number | undefined;
/** Resolves once the server has the next request. */
let received: Promise<unknown>;
const sockets: Socket[] = [];

beforeEach(async () => {
  server = createServer((req, res) => {
    const delay = Number(new URL(req.url ?? '/', 'http://localhost').searchParams.get('delay') ?? 0);
    setTimeout(() => res.end('answered', () => (answeredAt = Date.now())), delay);
  });
  port = await listen(server, 0, '127.0.0.1');
  received = new Promise((resolve) => server.once('request', resolve));
});

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  server.closeAllConnections();
  server.close();
});

/** A TCP connection that sends nothing, as a browser opens ahead of need; resolves once the server has it. */
async function silentConnection(): Promise<Socket> {
  const accepted = new Promise((resolve) => server.once('connection', resolve));
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => undefined);
  await accepted;
  return socket;
}

const ended = (socket: Socket) => new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));

function get(path: string): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
    })
      .on('error', reject)
      .end();
  });
}

// Node counts a connection that has sent nothing as busy until its headers time out (60 s): without
// closing such connections, closeServer took a minute and this test's 20 s run out.
test('connections that have asked nothing do not hold the server open: they are closed with it', async () => {
  const [first, second] = [await silentConnection(), await silentConnection()];
  await closeServer(server);
  await Promise.all([ended(first), ended(second)]);
  expect(server.listening).toBe(false);
}, 20_000);

test('a request under way when the server stops is answered, telling the client to close, before the server closes', async () => {
  const answer = get('/?delay=300');
  await received;
  const idle = await silentConnection();
  let closedAt: number | undefined;
  const closing = closeServer(server).then(() => (closedAt = Date.now()));
  const { status, connection, body } = await answer;
  await closing;
  await ended(idle);
  expect({ status, connection, body }).toEqual({ status: 200, connection: 'close', body: 'answered' });
  expect(closedAt).toBeGreaterThanOrEqual(answeredAt!);
}, 20_000);

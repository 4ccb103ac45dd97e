/**
 * The floor of bench:chat: the least a server can do to deliver one event to N graphql-ws
 * subscribers on N sockets of this machine. It speaks just enough of graphql-transport-ws for the
 * bench's clients (connection_init → connection_ack, subscribe, complete, ping → pong), and on
 * `POST /send {"id","text"}` serializes one `messageAdded` event once and writes it to every
 * subscriber's socket: no auth, no planning, no database, no per-subscriber work but the write.
 * What the router adds is measured against it. Port from FLOOR_PORT; GET /health → {subscriptions}.
 */
import { createServer } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';

const subscribers = new Map<WebSocket, Set<string>>();
let count = 0;

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ subscriptions: count }));
    return;
  }
  if (req.method !== 'POST' || req.url !== '/send') {
    res.statusCode = 404;
    res.end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const { id, text } = JSON.parse(Buffer.concat(chunks).toString()) as { id: string; text: string };
    const payload = JSON.stringify({ data: { messageAdded: { id, text, createdAt: new Date().toISOString(), sender: { id: 'floor' } } } });
    for (const [socket, ids] of subscribers) for (const subscription of ids) socket.send(`{"id":${JSON.stringify(subscription)},"type":"next","payload":${payload}}`);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ data: { sendMessage: { id } } }));
  });
});

new WebSocketServer({ server, path: '/graphql' }).on('connection', (socket) => {
  const ids = new Set<string>();
  subscribers.set(socket, ids);
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { type: string; id?: string };
    if (message.type === 'connection_init') socket.send('{"type":"connection_ack"}');
    else if (message.type === 'ping') socket.send('{"type":"pong"}');
    else if (message.type === 'subscribe' && message.id && !ids.has(message.id)) {
      ids.add(message.id);
      count++;
    } else if (message.type === 'complete' && message.id && ids.delete(message.id)) count--;
  });
  socket.on('close', () => {
    count -= ids.size;
    subscribers.delete(socket);
  });
});

server.listen(Number(process.env.FLOOR_PORT), '127.0.0.1');

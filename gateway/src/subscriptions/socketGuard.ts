import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';

/** The WebSocket close code that tells a graphql-ws client to reconnect later (it retries it). */
export const TRY_AGAIN_LATER = 1013;

/**
 * Outgoing bytes a connection may have waiting. A client that keeps sending (pings, say) without
 * reading what it is sent would otherwise grow the router's memory for as long as it likes.
 */
const MAX_UNSENT_BYTES = 1024 * 1024;

/**
 * Bounds what sockets hold before graphql-ws sees them: connections per client IP (counted from
 * the upgrade, so sockets that never send connection_init count too) and unsent output. Attach it
 * before graphql-ws, so that a refused socket is closed before anything else happens on it.
 */
export function guardSockets(wss: WebSocketServer, options: { maxPerIp: number; clientIp(req: IncomingMessage): string }): void {
  const openPerIp = new Map<string, number>();
  wss.on('connection', (socket, request) => {
    const ip = options.clientIp(request);
    const open = (openPerIp.get(ip) ?? 0) + 1;
    openPerIp.set(ip, open);
    socket.once('close', () => {
      const left = openPerIp.get(ip)! - 1;
      if (left > 0) openPerIp.set(ip, left);
      else openPerIp.delete(ip);
    });
    if (open > options.maxPerIp) {
      socket.close(TRY_AGAIN_LATER, `Too many connections from your address (${options.maxPerIp} at most); try again later`);
      return;
    }
    const drop = () => dropIfBacklogged(socket);
    socket.on('message', drop);
    socket.on('ping', drop);
  });
}

/**
 * Ends a socket that has more than MAX_UNSENT_BYTES waiting, before more is written to it: a
 * socket this far behind cannot be sent a close frame either. Says whether it did.
 */
export function dropIfBacklogged(socket: WebSocket): boolean {
  if (socket.bufferedAmount <= MAX_UNSENT_BYTES) return false;
  socket.terminate();
  return true;
}

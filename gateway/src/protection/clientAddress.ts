import type { IncomingMessage } from 'node:http';

/**
 * The client's IP. Behind `trustProxyHops` proxies, each appends the address it received from to
 * X-Forwarded-For: the client is the entry that many places from the end; anything before it was
 * written by the client and is not believed.
 */
export function clientAddress(req: IncomingMessage, trustProxyHops: number): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (trustProxyHops === 0) return peer;
  const forwarded = String(req.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const chain = [...forwarded, peer];
  return chain[Math.max(0, chain.length - 1 - trustProxyHops)];
}

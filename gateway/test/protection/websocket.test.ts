import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestRouter } from '../helpers/router';
import { pubsub, shop, type TestRouter, query, from, expectRefused } from './shop';

/** The same guards over graphql-ws at /graphql, through the real router. */

describe('WebSocket (graphql-ws at /graphql)', () => {
  let router: TestRouter;
  const clients: Client[] = [];
  beforeAll(async () => {
    router = await startTestRouter([shop], { env: { TRUST_PROXY_HOPS: '1', RATE_LIMIT_IP: '2', RATE_LIMIT_COST: '2', MAX_DEPTH: '3', MAX_TOKENS: '50' } });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
  });
  afterAll(() => router?.dispose());

  /** A client whose upgrade request carries the proxy's X-Forwarded-For for `ip`. */
  const connect = (ip: string, onClosed?: (code: number) => void) => {
    class ForwardedWebSocket extends WebSocket {
      constructor(address: string | URL, protocols?: string | string[]) {
        super(address, protocols, { headers: from(ip) });
      }
    }
    const client = createClient({
      url: router.wsUrl,
      webSocketImpl: ForwardedWebSocket,
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => undefined,
      on: { closed: (event) => onClosed?.((event as { code: number }).code) },
    });
    clients.push(client);
    return client;
  };
  /** Resolves 'connected', or the close code when the router refused the connection. */
  const outcome = (ip: string) =>
    new Promise<'connected' | number>((resolve) => {
      const client = connect(ip, resolve);
      client.on('connected', () => resolve('connected'));
    });
  /** Waits until the subgraph has exactly `count` topics listened to. */
  const waitForTopics = async (count: number) => {
    for (let i = 0; i < 250 && pubsub.topicCount !== count; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pubsub.topicCount).toBe(count);
  };

  test('each connection spends one IP point (RATE_LIMIT_IP=2): the 3rd is closed with 4429', async () => {
    expect(await outcome('10.9.0.1')).toBe('connected');
    expect(await outcome('10.9.0.1')).toBe('connected');
    expect(await outcome('10.9.0.1')).toBe(4429);
    // Another client's budget is its own.
    expect(await outcome('10.9.0.2')).toBe('connected');
    // HTTP spends from the same budget.
    expectRefused(await query(router.url, '{ ping }', {}, from('10.9.0.1')), 429, 'RATE_LIMITED');
  });

  test('a subscription over MAX_DEPTH gets MAX_DEPTH_EXCEEDED; one at the limit runs', async () => {
    await waitForTopics(0);
    const client = connect('10.9.1.1');
    const tooDeep = client.iterate({ query: 'subscription { ticked(topic: "deep") { product { parent { id } } } }' });
    await expect(tooDeep.next()).rejects.toEqual([expect.objectContaining({ extensions: { code: 'MAX_DEPTH_EXCEEDED', limit: 3 } })]);
    const events = client.iterate({ query: 'subscription { ticked(topic: "deep") { product { id } } }' });
    const first = events.next();
    await waitForTopics(1);
    await pubsub.publish('ticks:deep', { id: 't1', productId: 'p9' });
    expect((await first).value).toEqual({ data: { ticked: { product: { id: 'p9' } } } });
    await events.return?.();
  });

  test('a subscription over MAX_TOKENS gets MAX_TOKENS_EXCEEDED', async () => {
    const client = connect('10.9.3.1');
    // subscription { ticked ( topic : "t" ) { id … } }: 11 tokens and one per id.
    const text = (ids: number) => `subscription { ticked(topic: "tokens") { ${'id '.repeat(ids)}} }`;
    const tooLong = client.iterate({ query: text(40) });
    await expect(tooLong.next()).rejects.toEqual([expect.objectContaining({ extensions: { code: 'MAX_TOKENS_EXCEEDED', limit: 50 } })]);
  });

  test('each subscribe spends the cost budget (RATE_LIMIT_COST=2): over it → RATE_LIMITED', async () => {
    await waitForTopics(0);
    const client = connect('10.9.2.1');
    // ticked and product: 2 objects, the whole budget.
    const events = client.iterate({ query: 'subscription { ticked(topic: "cost") { product { id } } }' });
    const first = events.next();
    await waitForTopics(1);
    const limited = client.iterate({ query: 'subscription { ticked(topic: "cost") { id } }' });
    await expect(limited.next()).rejects.toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'RATE_LIMITED', budget: 'cost' }) })]);
    // The subscription within budget keeps running.
    await pubsub.publish('ticks:cost', { id: 't2', productId: 'p1' });
    expect((await first).value).toEqual({ data: { ticked: { product: { id: 'p1' } } } });
    await events.return?.();
  });
});

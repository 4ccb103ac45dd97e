import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { SERVICE_NAMES, startProcessStack, type ProcessStack, type ServiceName, type ServiceProcess } from '@dorandoran/test-support/processes';
import { canRunRedisServer, startRedisServer, type RedisServer } from '@dorandoran/test-support/redisServer';
import { health, MESSAGE_ADDED, ok, request, SEND, signUp, sleep, tally, timeUntil, withServiceLog, type Outcome, type Person } from '../faults/helpers';
import { makeAdmin, queryDatabase, retryable, startBalancer, watch, withRetries, type Attempted, type Balancer, type Watcher } from './support';

/**
 * Replicas on one machine: two routers and two instances each of chat, store and batch (batch so that
 * its scheduler has someone to share ticks with), one of auth and users, every one its own process on
 * PostgreSQL and Redis, each service behind a round-robin balancer of the test's own (support.ts).
 * Clients and the other services reach a service only through its balancer; a test that needs a
 * particular router or subgraph instance addresses it by its own URL.
 */

const REPLICAS: Partial<Record<ServiceName, number>> = { router: 2, chat: 2, store: 2, batch: 2 };
const SUBGRAPH_TIMEOUT_MS = 5000;
const CLIENT_TIMEOUT_MS = SUBGRAPH_TIMEOUT_MS + 3000;
/** Root fields per user and minute, shared by the routers through Redis. */
const USER_BUDGET = 300;
/** Kubernetes' terminationGracePeriodSeconds in deploy/kubernetes: after it an instance that has not exited is SIGKILLed. */
const GRACE_MS = 30_000;

const ROOM = 'mutation($input: CreateChatRoomInput!) { createChatRoom(input: $input) { id } }';
const HISTORY = `query($id: ID!, $before: String) { chatRoom(id: $id) { messages(last: 100, before: $before) {
  edges { node { id text } } pageInfo { hasPreviousPage startCursor } } } }`;
const PRODUCTS = '{ products(first: 20) { edges { node { id name stock price { amount } } } } }';
const PLACE = 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status total { amount } } }';
const ORDER = 'query($id: ID!) { order(id: $id) { id status history { to actorRole } } }';
const ORDER_STATUS = 'subscription($orderId: ID!) { orderStatusChanged(orderId: $orderId) { id status } }';
const REPORT = 'query($date: Date!) { dailyReport(date: $date) { messagesSent ordersPlaced } }';
const JOB_RUNS = 'query { jobRuns(job: "daily-report", first: 100) { edges { node { trigger attempt status queuedAt } } } }';

const suite = canRunRedisServer && process.env.DATABASE_URL ? describe : describe.skip;
if (!canRunRedisServer) console.warn('Skipping test/replicas: no redis-server on this machine (CI installs it).');
else if (!process.env.DATABASE_URL) console.warn('Skipping test/replicas: replicas share a database only on PostgreSQL; set DATABASE_URL.');

let redis: RedisServer;
let streams: Redis;
let stack: ProcessStack;
const balancers = new Map<ServiceName, Balancer>();
let admin: Person;
const watchers: Watcher[] = [];

const balancer = (name: ServiceName) => balancers.get(name)!;
/** The instances of a service in its balancer's rotation now (a rolling restart replaces them). */
const current = (name: ServiceName) => stack.instances[name].filter((instance) => balancer(name).targets.includes(instance.url));
const routerA = () => current('router')[0].url;
const routerB = () => current('router')[1].url;
/** As a router forwards a client's request: the router secret and the client's token. */
const asRouter = (person: Person) => ({ ...person.headers, 'x-router-secret': stack.routerSecret });
const subscriptionsOn = async (instance: ServiceProcess) => ((await health(instance.url).catch(() => ({ subscriptions: 0 }))).subscriptions as number) ?? 0;
const openSockets = (name: ServiceName) => [...balancer(name).websockets().values()].reduce((sum, count) => sum + count, 0);

async function createGroup(creator: Person, members: Person[]): Promise<string> {
  const outcome = await request(stack.routerUrl, 'createChatRoom', ROOM, { input: { kind: 'GROUP', title: 'Replicas', memberIds: members.map((member) => member.id) } }, creator.headers, CLIENT_TIMEOUT_MS);
  if (!ok(outcome)) throw new Error(`createChatRoom failed: ${JSON.stringify(outcome)}`);
  return outcome.data!.createChatRoom.id;
}

const send = (url: string, sender: Person, roomId: string, text: string, clientMessageId = randomUUID(), headers = sender.headers) =>
  request(url, 'sendMessage', SEND, { input: { roomId, text, clientMessageId } }, headers, CLIENT_TIMEOUT_MS);

/** Every message of the room, oldest first, paging back from the newest. */
async function history(reader: Person, roomId: string): Promise<{ id: string; text: string }[]> {
  const messages: { id: string; text: string }[] = [];
  let before: string | undefined;
  for (;;) {
    const outcome = await request(stack.routerUrl, 'chatRoom', HISTORY, { id: roomId, before }, reader.headers, CLIENT_TIMEOUT_MS);
    if (!ok(outcome)) throw new Error(`chatRoom failed: ${JSON.stringify(outcome)}`);
    const page = outcome.data!.chatRoom.messages;
    messages.unshift(...page.edges.map((edge: { node: { id: string; text: string } }) => edge.node));
    if (!page.pageInfo.hasPreviousPage) return messages;
    before = page.pageInfo.startCursor;
  }
}

/**
 * Opens the subscriptions one at a time, each once the previous one's upstream socket is open, and
 * answers the instance of `service` each one's upstream went to.
 */
async function subscribeEach(service: ServiceName, open: (() => Watcher)[]): Promise<{ watcher: Watcher; instance: string }[]> {
  const placed: { watcher: Watcher; instance: string }[] = [];
  for (const make of open) {
    const before = balancer(service).websockets();
    const watcher = make();
    watchers.push(watcher);
    let instance: string | undefined;
    await timeUntil(
      async () => {
        const now = balancer(service).websockets();
        instance = [...now].find(([target, count]) => count > (before.get(target) ?? 0))?.[0];
        return instance !== undefined;
      },
      `an upstream subscription socket to ${service}`,
      15_000,
    );
    placed.push({ watcher, instance: instance! });
  }
  return placed;
}

const texts = (watcher: Watcher) => watcher.events.map((event) => event.messageAdded?.text as string);

suite('replicas on one machine', () => {
  beforeAll(async () => {
    redis = await startRedisServer();
    streams = new Redis(redis.url);
    stack = await startProcessStack({
      redisUrl: redis.url,
      replicas: REPLICAS,
      // Ten processes load at once: on a 2-core machine that other suites keep busy, 90 s was passed.
      readyTimeoutMs: 180_000,
      front: async (name, instanceUrls) => {
        const started = await startBalancer(instanceUrls);
        balancers.set(name, started);
        return started.url;
      },
      env: {
        SUBGRAPH_TIMEOUT_MS: String(SUBGRAPH_TIMEOUT_MS),
        RATE_LIMIT_USER: String(USER_BUDGET),
        // A daily-report tick every minute, every instance checking the schedule every second.
        BATCH_SCHEDULE_DAILY_REPORT: '* * * * *',
        BATCH_CRON_CHECK_SECONDS: '1',
      },
    });
    await withServiceLog(stack, async () => {
      admin = await makeAdmin(stack, await signUp(stack.routerUrl, 'Admin'));
    });
  }, 300_000);

  // A test's subscriptions end with it, so the next one counts only its own sockets and subscriptions.
  afterEach(async () => {
    await Promise.all(watchers.splice(0).map((watcher) => watcher.dispose()));
    await timeUntil(async () => SERVICE_NAMES.every((name) => openSockets(name) === 0), 'the last test\'s upstream sockets closed', 15_000);
  }, 30_000);

  afterAll(async () => {
    await stack?.close();
    for (const started of balancers.values()) await started.close();
    streams?.disconnect();
    await redis?.stop();
  }, 60_000);

  test('replicas started together on fresh databases all come up: each migration ran once, the sample catalog was added once', () =>
    withServiceLog(stack, async () => {
      for (const name of SERVICE_NAMES) {
        expect(stack.instances[name].map((instance) => instance.running)).toEqual(Array(REPLICAS[name] ?? 1).fill(true));
      }
      for (const service of ['auth', 'users', 'chat', 'store', 'batch'] as const) {
        const runs = await queryDatabase<{ name: string; runs: number }>(stack, service, 'select name, count(*)::int as runs from mikro_orm_migrations group by name');
        expect(runs.length).toBeGreaterThan(0);
        expect(runs.filter((migration) => migration.runs !== 1)).toEqual([]);
      }
      const products = await request(stack.routerUrl, 'products', PRODUCTS);
      const names = products.data!.products.edges.map((edge: { node: { name: string } }) => edge.node.name);
      expect(names).toHaveLength(6);
      expect(new Set(names).size).toBe(6);
    }));

  test('a message sent through router A reaches subscribers on router B exactly once, whichever chat instance serves them', () =>
    withServiceLog(stack, async () => {
      const [alice, bob, carol] = await Promise.all(['Alice', 'Bob', 'Carol'].map((name) => signUp(stack.routerUrl, name)));
      const roomId = await createGroup(alice, [bob, carol]);
      const placed = await subscribeEach('chat', [bob, carol].map((person) => () => watch(routerB(), person, MESSAGE_ADDED, { roomId })));
      // Bob's and Carol's upstreams are on different chat instances, so whichever one takes the send, one of them gets it through Redis.
      expect(new Set(placed.map((entry) => entry.instance)).size).toBe(2);
      await timeUntil(async () => (await Promise.all(current('chat').map(subscriptionsOn))).every((count) => count >= 1), 'a live subscription on each chat instance', 15_000);

      const sent = Array.from({ length: 5 }, (_, i) => `through router A #${i + 1}`);
      for (const text of sent) expect(ok(await send(routerA(), alice, roomId, text))).toBe(true);
      // A last message: once it is in, a duplicate of an earlier one would have come before it.
      expect(ok(await send(routerA(), alice, roomId, 'the last one'))).toBe(true);
      await timeUntil(async () => placed.every(({ watcher }) => texts(watcher).includes('the last one')), 'every subscriber on router B has the last message', 10_000);
      for (const { watcher } of placed) {
        expect(texts(watcher)).toEqual([...sent, 'the last one']);
        expect(watcher.errors).toEqual([]);
      }
    }));

  test('order status changes reach every subscriber, on both routers and both store instances', () =>
    withServiceLog(stack, async () => {
      const erin = await signUp(stack.routerUrl, 'Erin');
      const product = (await request(stack.routerUrl, 'products', PRODUCTS)).data!.products.edges[0].node;
      const placedOrder = await request(routerA(), 'placeOrder', PLACE, { input: { items: [{ productId: product.id, quantity: 1 }], idempotencyKey: randomUUID() } }, erin.headers, CLIENT_TIMEOUT_MS);
      expect(ok(placedOrder)).toBe(true);
      const { id: orderId, total } = placedOrder.data!.placeOrder;

      const placed = await subscribeEach('store', [
        () => watch(routerA(), erin, ORDER_STATUS, { orderId }),
        () => watch(routerB(), erin, ORDER_STATUS, { orderId }),
        () => watch(routerB(), admin, ORDER_STATUS, { orderId }),
      ]);
      expect(new Set(placed.map((entry) => entry.instance)).size).toBe(2);
      // Each feed's first event, the order as it is, comes once it is live at its store instance.
      await timeUntil(async () => placed.every(({ watcher }) => watcher.events.length >= 1), 'every subscription live (its first event)', 15_000);

      const pay = await request(routerA(), 'payOrder', 'mutation($input: PayOrderInput!) { payOrder(input: $input) { status } }', { input: { orderId, paymentKey: 'sandbox-card-approve', amount: total.amount } }, erin.headers, CLIENT_TIMEOUT_MS);
      expect(pay.data?.payOrder).toEqual({ status: 'PAID' });
      const ship = await request(routerB(), 'shipOrder', 'mutation($id: ID!) { shipOrder(orderId: $id) { status } }', { id: orderId }, admin.headers, CLIENT_TIMEOUT_MS);
      expect(ship.data?.shipOrder).toEqual({ status: 'SHIPPED' });
      const complete = await request(routerA(), 'completeOrder', 'mutation($id: ID!) { completeOrder(orderId: $id) { status } }', { id: orderId }, admin.headers, CLIENT_TIMEOUT_MS);
      expect(complete.data?.completeOrder).toEqual({ status: 'COMPLETED' });

      // A final status completes the subscription: each has then seen all it will.
      await timeUntil(async () => placed.every(({ watcher }) => watcher.completed), 'every subscription completed after COMPLETED', 10_000);
      for (const { watcher } of placed) {
        expect(watcher.events.map((event) => event.orderStatusChanged.status)).toEqual(['PENDING_PAYMENT', 'PAID', 'SHIPPED', 'COMPLETED']);
        expect(watcher.errors).toEqual([]);
      }
    }));

  test('a user\'s budget is one budget across routers', () =>
    withServiceLog(stack, async () => {
      const heidi = await signUp(stack.routerUrl, 'Heidi');
      // Ten root fields a request: the budget counts root fields.
      const tenFields = `{ ${Array.from({ length: 10 }, (_, i) => `m${i}: me { id }`).join(' ')} }`;
      const answeredBy = { a: 0, b: 0 };
      let refused: Outcome | undefined;
      for (let i = 0; !refused && i < (2 * USER_BUDGET) / 10 + 2; i++) {
        const router = i % 2 === 0 ? 'a' : 'b';
        const outcome = await request(router === 'a' ? routerA() : routerB(), 'me×10', tenFields, {}, heidi.headers, CLIENT_TIMEOUT_MS);
        if (ok(outcome)) answeredBy[router]++;
        else refused = outcome;
      }
      // Per-router budgets would have answered twice as many.
      expect(answeredBy).toEqual({ a: USER_BUDGET / 20, b: USER_BUDGET / 20 });
      expect(refused).toMatchObject({ status: 429, codes: ['RATE_LIMITED'] });
      for (const router of [routerA(), routerB()]) expect(await request(router, 'me', '{ me { id } }', {}, heidi.headers)).toMatchObject({ status: 429, codes: ['RATE_LIMITED'] });
    }));

  test('each domain event is published once and applied once across replicas', () =>
    withServiceLog(stack, async () => {
      const [alice, bob, frank, dave] = await Promise.all(['Alice', 'Bob', 'Frank', 'Dave'].map((name) => signUp(stack.routerUrl, name)));
      const roomId = await createGroup(alice, [bob]);
      const seoulDay = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Seoul' }).format(new Date());
      const days = new Set([seoulDay()]);
      const report = async () => {
        const totals = { messagesSent: 0, ordersPlaced: 0 };
        for (const date of days) {
          const outcome = await request(stack.routerUrl, 'dailyReport', REPORT, { date }, admin.headers, CLIENT_TIMEOUT_MS);
          if (!ok(outcome)) throw new Error(`dailyReport failed: ${JSON.stringify(outcome)}`);
          totals.messagesSent += outcome.data!.dailyReport.messagesSent;
          totals.ordersPlaced += outcome.data!.dailyReport.ordersPlaced;
        }
        return totals;
      };
      const product = async (id: string) =>
        (await request(stack.routerUrl, 'products', PRODUCTS)).data!.products.edges.map((edge: { node: any }) => edge.node).find((node: { id: string }) => node.id === id);
      const before = await report();

      // Straight to each chat and store instance, so that both outboxes and both relays have events to publish.
      const messageIds: string[] = [];
      const orderIds: string[] = [];
      const [mug] = (await request(stack.routerUrl, 'products', PRODUCTS)).data!.products.edges.map((edge: { node: any }) => edge.node);
      for (const instance of current('chat')) {
        for (let i = 0; i < 3; i++) {
          const outcome = await send(instance.url, alice, roomId, `event test ${messageIds.length + 1}`, randomUUID(), asRouter(alice));
          expect(ok(outcome)).toBe(true);
          messageIds.push(outcome.data!.sendMessage.id);
        }
      }
      for (const instance of current('store')) {
        const outcome = await request(instance.url, 'placeOrder', PLACE, { input: { items: [{ productId: mug.id, quantity: 1 }], idempotencyKey: randomUUID() } }, asRouter(frank), CLIENT_TIMEOUT_MS);
        expect(ok(outcome)).toBe(true);
        orderIds.push(outcome.data!.placeOrder.id);
      }
      // Dave leaves an unpaid order and deletes his account: store cancels the order and puts the stock back, once.
      const stockBefore = (await product(mug.id)).stock;
      const daves = await request(stack.routerUrl, 'placeOrder', PLACE, { input: { items: [{ productId: mug.id, quantity: 2 }], idempotencyKey: randomUUID() } }, dave.headers, CLIENT_TIMEOUT_MS);
      expect(ok(daves)).toBe(true);
      orderIds.push(daves.data!.placeOrder.id);
      expect((await product(mug.id)).stock).toBe(stockBefore - 2);
      expect(ok(await request(stack.routerUrl, 'deleteAccount', 'mutation { deleteAccount }', {}, dave.headers, CLIENT_TIMEOUT_MS))).toBe(true);

      const groupsDrained = async (stream: string) =>
        ((await streams.xinfo('GROUPS', `dorandoran:events:${stream}`)) as unknown[][]).every((group) => {
          const fields = Object.fromEntries(Array.from({ length: group.length / 2 }, (_, i) => [group[2 * i], group[2 * i + 1]]));
          return fields.pending === 0 && fields.lag === 0;
        });
      const davesOrder = async () => (await request(stack.routerUrl, 'order', ORDER, { id: daves.data!.placeOrder.id }, admin.headers, CLIENT_TIMEOUT_MS)).data?.order;
      await timeUntil(
        async () => {
          days.add(seoulDay());
          const now = await report();
          return (
            now.messagesSent >= before.messagesSent + 6 &&
            now.ordersPlaced >= before.ordersPlaced + 3 &&
            (await davesOrder())?.status === 'CANCELLED' &&
            (await groupsDrained('chat.message_sent')) &&
            (await groupsDrained('order.placed')) &&
            (await groupsDrained('user.deleted'))
          );
        },
        'every event consumed',
        20_000,
        250,
      );

      // Counted once each by batch, in spite of two producers each.
      expect(await report()).toEqual({ messagesSent: before.messagesSent + 6, ordersPlaced: before.ordersPlaced + 3 });
      // Published once each: the two relays share the outbox without overlap.
      const published = async (stream: string, key: string) =>
        ((await streams.xrange(`dorandoran:events:${stream}`, '-', '+')) as [string, string[]][]).map(([, fields]) => JSON.parse(fields[1]).data[key] as string);
      const messagesPublished = await published('chat.message_sent', 'messageId');
      expect(messageIds.map((id) => messagesPublished.filter((published) => published === id).length)).toEqual(messageIds.map(() => 1));
      const ordersPublished = await published('order.placed', 'orderId');
      expect(orderIds.map((id) => ordersPublished.filter((published) => published === id).length)).toEqual(orderIds.map(() => 1));
      // The store instances read user.deleted as one group: the cancellation happened once and the stock came back once.
      expect((await davesOrder()).history.filter((change: { to: string }) => change.to === 'CANCELLED')).toEqual([{ to: 'CANCELLED', actorRole: 'SYSTEM' }]);
      expect((await product(mug.id)).stock).toBe(stockBefore);
      expect(await streams.xlen('dorandoran:events:dead-letter')).toBe(0);
    }));

  test('one chat instance killed under load: no message lost, and clients on the other instance see nothing', () =>
    withServiceLog(stack, async () => {
      const [sam, ...readers] = await Promise.all(['Sam', 'Bob', 'Carol', 'Dave', 'Erin'].map((name) => signUp(stack.routerUrl, name)));
      const roomId = await createGroup(sam, readers);
      const placed = await subscribeEach(
        'chat',
        readers.map((reader, i) => () => watch(i % 2 === 0 ? routerA() : routerB(), reader, MESSAGE_ADDED, { roomId })),
      );
      const [victim, survivor] = current('chat');
      const onSurvivor = placed.filter((entry) => entry.instance === survivor.url).map((entry) => entry.watcher);
      const onVictim = placed.filter((entry) => entry.instance === victim.url).map((entry) => entry.watcher);
      expect(onSurvivor.length).toBeGreaterThan(0);
      expect(onVictim.length).toBeGreaterThan(0);
      await timeUntil(async () => (await subscriptionsOn(survivor)) >= onSurvivor.length && (await subscriptionsOn(victim)) >= onVictim.length, 'every subscription live on chat', 15_000);

      // Sam sends every 100 ms through both routers, sending again (same clientMessageId) what may be retried.
      const sends: Promise<Attempted & { text: string }>[] = [];
      let killedAt = 0;
      const started = Date.now();
      let sent: (Attempted & { text: string })[];
      try {
        for (let i = 1; Date.now() - started < 4500; i++) {
          const text = `under load #${i}`;
          const clientMessageId = randomUUID();
          const router = i % 2 === 0 ? routerA() : routerB();
          sends.push(withRetries(() => send(router, sam, roomId, text, clientMessageId)).then((attempted) => Object.assign(attempted, { text })));
          if (!killedAt && Date.now() - started > 1500) {
            await victim.kill('SIGKILL');
            killedAt = Date.now();
          }
          await sleep(100);
        }
        sent = await Promise.all(sends);
      } finally {
        // The later tests run on two chat instances again.
        await victim.start();
      }
      const failed = sent.filter((attempted) => !ok(attempted.final));
      const retried = sent.filter((attempted) => attempted.attempts.length > 1);
      const sentTexts = sent.filter((attempted) => ok(attempted.final)).map((attempted) => attempted.text);
      const refusals = sent.flatMap((attempted) => attempted.attempts).filter((outcome) => !ok(outcome));
      const missing = () => onSurvivor.map((watcher) => sentTexts.filter((text) => !texts(watcher).includes(text)));
      await timeUntil(async () => missing().every((texts) => texts.length === 0), 'subscribers on the surviving instance have every message', 10_000).catch((error: Error) => {
        error.message += `; missing: ${JSON.stringify(missing())}; sends ${tally(sent.flatMap((attempted) => attempted.attempts))}`;
        throw error;
      });
      const stored = (await history(sam, roomId)).map((message) => message.text);
      console.log(
        [
          'REPLICAS chat instance SIGKILLed under load',
          `  sends: ${sent.length}; retried ${retried.length} (${tally(retried.flatMap((attempted) => attempted.attempts.slice(0, -1)))}); failed ${failed.length}`,
          `  refusals answered from ${refusals.length ? Math.min(...refusals.map((outcome) => outcome.at + outcome.ms)) - killedAt : '-'} to ${refusals.length ? Math.max(...refusals.map((outcome) => outcome.at + outcome.ms)) - killedAt : '-'} ms after the kill`,
          `  subscribers on the surviving instance: ${onSurvivor.length}, each got ${onSurvivor.map((watcher) => watcher.events.length).join('/')} events; on the killed one: ${onVictim.length}, closed ${onVictim.map((watcher) => watcher.closeCodes.join('/') || 'no close').join(', ')}`,
        ].join('\n'),
      );
      expect(failed.map((attempted) => attempted.final)).toEqual([]);
      expect(sent.flatMap((attempted) => attempted.attempts).filter((outcome) => !ok(outcome) && !retryable(outcome))).toEqual([]);
      // Every message once in the room, and once to every subscriber whose instance lived (in the order
      // each send was published, which concurrent sends need not share with the room's).
      expect([...stored].sort()).toEqual([...sentTexts].sort());
      for (const watcher of onSurvivor) {
        expect([...texts(watcher)].sort()).toEqual([...stored].sort());
        expect(watcher.closeCodes).toEqual([]);
        expect(watcher.errors).toEqual([]);
        expect(watcher.connections).toBe(1);
      }
      // Those on the killed instance were told (1012: service restart) so that they subscribe again and catch up.
      for (const watcher of onVictim) expect(watcher.closeCodes.length + watcher.errors.length).toBeGreaterThan(0);
    }), 300_000);

  test('a rolling restart of every service under steady load: nothing fails that a client may not retry, and nothing is lost', () =>
    withServiceLog(stack, async () => {
      const [reader, rooms, sender, buyer, member] = await Promise.all(['Rita', 'Roy', 'Sue', 'Bea', 'Max'].map((name) => signUp(stack.routerUrl, name)));
      const roomId = await createGroup(sender, [member]);
      // One user per operation, so that no one's budget (USER_BUDGET a minute) is spent by the load.
      const operations: { label: string; send(): Promise<Outcome> }[] = [
        { label: 'me', send: () => request(stack.routerUrl, 'me', '{ me { id nickname } }', {}, reader.headers, CLIENT_TIMEOUT_MS) },
        { label: 'products', send: () => request(stack.routerUrl, 'products', PRODUCTS, {}, {}, CLIENT_TIMEOUT_MS) },
        { label: 'chatRooms', send: () => request(stack.routerUrl, 'chatRooms', '{ chatRooms(first: 5) { edges { node { id } } } }', {}, rooms.headers, CLIENT_TIMEOUT_MS) },
        { label: 'myOrders', send: () => request(stack.routerUrl, 'myOrders', '{ myOrders(first: 5) { edges { node { id status } } } }', {}, buyer.headers, CLIENT_TIMEOUT_MS) },
        { label: 'jobs', send: () => request(stack.routerUrl, 'jobs', '{ jobs { name enabled } }', {}, admin.headers, CLIENT_TIMEOUT_MS) },
        {
          label: 'logIn',
          send: () => request(stack.routerUrl, 'logIn', 'mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { accessToken } }', { email: member.email, password: member.password }, {}, CLIENT_TIMEOUT_MS),
        },
      ];
      const done: (Attempted & { text?: string })[] = [];
      const inFlight = new Set<Promise<void>>();
      let turn = 0;
      const track = (attempted: Promise<Attempted & { text?: string }>) => {
        const settled = attempted.then((result) => void done.push(result));
        inFlight.add(settled);
        void settled.finally(() => inFlight.delete(settled));
      };
      // Every 200 ms one request through the routers' balancer: the operations above in turn, every other one a message.
      const timer = setInterval(() => {
        turn++;
        if (turn % 2 === 0) {
          const text = `rolling #${turn / 2}`;
          const clientMessageId = randomUUID();
          track(withRetries(() => send(stack.routerUrl, sender, roomId, text, clientMessageId)).then((attempted) => Object.assign(attempted, { text })));
        } else track(withRetries(operations[(turn - 1) / 2 % operations.length].send));
      }, 200);

      const restarts: { instance: string; readyMs: number; stopMs?: number; killed?: boolean }[] = [];
      const stopping: Promise<void>[] = [];
      const started = Date.now();
      try {
        await sleep(1000);
        // As a Deployment rolls with maxSurge 1 and maxUnavailable 0: a new instance, in rotation once
        // ready; the old one out of rotation, then SIGTERM (it finishes what it has and exits).
        for (const name of ['auth', 'users', 'chat', 'store', 'batch', 'router'] as const) {
          for (const old of current(name)) {
            const at = Date.now();
            const fresh = await stack.addInstance(name);
            await fresh.start();
            const restart: (typeof restarts)[number] = { instance: `${name} ${stack.instances[name].indexOf(old) + 1}`, readyMs: Date.now() - at };
            restarts.push(restart);
            balancer(name).add(fresh.url);
            balancer(name).remove(old.url);
            const stoppedAt = Date.now();
            stopping.push(
              (async () => {
                let grace: NodeJS.Timeout | undefined;
                const exited = await Promise.race([old.kill('SIGTERM').then(() => true), new Promise<boolean>((resolve) => (grace = setTimeout(resolve, GRACE_MS, false)))]);
                clearTimeout(grace);
                if (!exited) await old.kill('SIGKILL');
                restart.stopMs = Date.now() - stoppedAt;
                restart.killed = !exited;
                // As it happens, so that a run that runs out of time still shows how far it got.
                console.log(`REPLICAS rolled ${restart.instance}: new instance ready in ${restart.readyMs} ms, old one ${exited ? 'exited' : 'SIGKILLed, not gone'} ${restart.stopMs} ms after SIGTERM`);
              })(),
            );
          }
        }
        await Promise.all(stopping);
        await sleep(1000);
      } finally {
        clearInterval(timer);
      }
      await Promise.all(inFlight);
      const rolledMs = Date.now() - started;

      const attempts = done.flatMap((attempted) => attempted.attempts);
      const retried = done.filter((attempted) => attempted.attempts.length > 1);
      const failed = done.filter((attempted) => !ok(attempted.final));
      const notRetryable = attempts.filter((outcome) => !ok(outcome) && !retryable(outcome));
      const messages = done.filter((attempted) => attempted.text !== undefined);
      const stored = (await history(member, roomId)).map((message) => message.text);
      console.log(
        [
          `REPLICAS rolling restart of ${restarts.length} instances under ${Math.round((done.length / rolledMs) * 1000)} requests/s (${rolledMs} ms)`,
          `  requests: ${done.length}; answered at once ${done.length - retried.length}; retried ${retried.length} (${attempts.length - done.length} retries: ${tally(retried.flatMap((attempted) => attempted.attempts.slice(0, -1)))}); failed ${failed.length}; not retryable ${notRetryable.length}`,
          `  slowest answer ${Math.max(...attempts.map((outcome) => outcome.ms))} ms; messages ${messages.length}, stored ${stored.length}`,
        ].join('\n'),
      );
      expect(notRetryable).toEqual([]);
      expect(failed.map((attempted) => attempted.final)).toEqual([]);
      // Every message sent once, retries included.
      expect([...stored].sort()).toEqual(messages.map((attempted) => attempted.text).sort());
    }), 420_000);

  test('each scheduled tick runs once across the batch instances', () =>
    withServiceLog(stack, async () => {
      type Run = { trigger: string; attempt: number; status: string; queuedAt: string };
      const scheduled = async (): Promise<Run[]> => {
        const outcome = await request(stack.routerUrl, 'jobRuns', JOB_RUNS, {}, admin.headers, CLIENT_TIMEOUT_MS);
        if (!ok(outcome)) throw new Error(`jobRuns failed: ${JSON.stringify(outcome)}`);
        return outcome.data!.jobRuns.edges.map((edge: { node: Run }) => edge.node).filter((run: Run) => run.trigger === 'SCHEDULE');
      };
      // A tick a minute since the stack started: by now one has come, or comes within the minute.
      await timeUntil(async () => (await scheduled()).some((run) => run.status === 'SUCCEEDED'), 'a scheduled daily-report run', 70_000, 1000);
      const firstAttempts = (await scheduled()).filter((run) => run.attempt === 1);
      const minutes = firstAttempts.map((run) => run.queuedAt.slice(0, 16));
      console.log(`REPLICAS scheduled daily-report: ${firstAttempts.length} ticks (${minutes.join(', ')}), ${current('batch').length} batch instances`);
      expect(new Set(minutes).size).toBe(firstAttempts.length);
    }), 90_000);
});

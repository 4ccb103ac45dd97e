import { bearer } from '@dorandoran/test-support/graphql';
import { ORDER, payOrder, placeOrder, startHarness, trusted, type Person, type StoreHarness } from '../helpers/harness';

/** cancelAbandonedOrders, the batch service's abandoned-orders job, called as the service account. */
let h: StoreHarness;
let service: Person;
beforeAll(async () => {
  h = await startHarness();
  const id = '01a20f00-0000-7000-8000-000000000001';
  const token = await h.issuer.sign({ sub: id, scope: 'service' });
  service = { id, token, headers: { ...trusted, ...bearer(token) } };
});
afterAll(() => h?.close());

const CANCEL_ABANDONED = 'mutation($minutes: Int!) { cancelAbandonedOrders(olderThanMinutes: $minutes) }';
const statusOf = async (orderId: string) => (await h.gql(ORDER, { id: orderId }, await h.admin())).data!.order;

test('cancels every unpaid order past the age, stock back, and leaves paid orders and payments in flight alone', async () => {
  const [alice, bob] = [await h.person(), await h.person()];
  const productId = await h.product({ stock: 10 });
  const unpaidA = await placeOrder(h, alice, [{ productId, quantity: 2 }]);
  const unpaidB = await placeOrder(h, bob, [{ productId, quantity: 1 }]);
  const paid = await placeOrder(h, alice, [{ productId, quantity: 3 }]);
  expect((await payOrder(h, alice, paid, 'sandbox-card-approve')).data!.payOrder.status).toBe('PAID');
  const confirming = await placeOrder(h, bob, [{ productId, quantity: 1 }]);
  // The sandbox charges but the answer is lost: the payment stays CONFIRMING until a retry or the reconciler settles it.
  expect((await payOrder(h, bob, confirming, 'sandbox-card-timeout')).errors![0].extensions!.code).toBe('SERVICE_UNAVAILABLE');
  expect(await h.stock(productId)).toBe(3);

  expect((await h.gql(CANCEL_ABANDONED, { minutes: 30 }, service)).data).toEqual({ cancelAbandonedOrders: 0 }); // all placed just now
  expect((await h.gql(CANCEL_ABANDONED, { minutes: 0 }, service)).data).toEqual({ cancelAbandonedOrders: 2 });

  for (const order of [unpaidA, unpaidB]) {
    const seen = await statusOf(order.id);
    expect(seen.status).toBe('CANCELLED');
    expect(seen.history.at(-1)).toMatchObject({ to: 'CANCELLED', actorRole: 'SYSTEM', actor: null, reason: 'Not paid within 0 minutes of being placed.' });
  }
  expect((await statusOf(paid.id)).status).toBe('PAID');
  expect((await statusOf(confirming.id)).payment.status).toBe('CONFIRMING');
  expect(await h.stock(productId)).toBe(6);
});

test('only the service account or an administrator may run it, with a sensible age', async () => {
  const user = await h.person();
  expect((await h.gql(CANCEL_ABANDONED, { minutes: 30 }, user)).errors![0].extensions!.code).toBe('FORBIDDEN');
  expect((await h.gql(CANCEL_ABANDONED, { minutes: 30 })).errors![0].extensions!.code).toBe('UNAUTHENTICATED');
  expect((await h.gql(CANCEL_ABANDONED, { minutes: 30 }, await h.admin())).errors).toBeUndefined();
  const bad = await h.gql(CANCEL_ABANDONED, { minutes: -1 }, service);
  expect(bad.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringMatching(/0 to 10080/) });
});

test('the service account is not a person: it cannot order', async () => {
  const productId = await h.product();
  const response = await h.gql('mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', { input: { items: [{ productId, quantity: 1 }], idempotencyKey: 'service-order' } }, service);
  expect(response.errors![0].extensions!.code).toBe('FORBIDDEN');
  expect(await h.stock(productId)).toBe(10);
});

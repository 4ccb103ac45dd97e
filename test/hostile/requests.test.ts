import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { post } from '@dorandoran/test-support/graphql';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { signUp, signUpAdmin, type SignedIn } from '@dorandoran/test-support/users';
import { bodyCases } from './cases/bodies';
import { documentCases } from './cases/documents';
import { OUTSIDE_SECRET, urlCases } from './cases/urls';
import { variableCases } from './cases/variables';
import { websocketCases } from './cases/websocket';
import { cpuLedger, runHttpCases, type Fixtures } from './harness';
import { runWsCases } from './rawSocket';

/**
 * Hostile documents, bodies, URLs, persisted queries, variables and graphql-ws frames against one
 * production stack. Rate limits are raised (the stack's defaults): these cases are about what a
 * single request can do, and the budgets have their own file (identity.test.ts).
 */

let stack: Stack;
let fixtures: Fixtures;
let webRoot: string;
const ledger = cpuLedger('hostile requests');

/** A stand-in web build, with a secret beside it that traversal must not reach. */
async function writeWebBuild(): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'dorandoran-hostile-web-'));
  await mkdir(path.join(root, 'dist', 'assets'), { recursive: true });
  await writeFile(path.join(root, 'dist', 'index.html'), '<!doctype html><html><body>DoranDoran</body></html>');
  await writeFile(path.join(root, 'dist', 'assets', 'app.js'), 'console.log("app")');
  await writeFile(path.join(root, 'secret.txt'), OUTSIDE_SECRET);
  await writeFile(path.join(root, 'package.json'), JSON.stringify({ devDependencies: { secret: OUTSIDE_SECRET } }));
  return root;
}

/** The mutation's result, or a failed setup naming its errors. */
function data(response: Awaited<ReturnType<typeof post>>, field: string): Record<string, any> {
  const value = (response.data as Record<string, any> | null | undefined)?.[field];
  if (!value) throw new Error(`${field} failed: ${JSON.stringify(response.errors)}`);
  return value;
}

/** An administrator with a room (and a message in it), a product and an order: what the cases' arguments point at. */
async function makeFixtures(stack: Stack): Promise<Fixtures> {
  const admin: SignedIn = await signUpAdmin(stack);
  const other = await signUp(stack, { nickname: 'Other' });
  const as = (query: string, variables: Record<string, unknown>) => post(stack.routerUrl, query, variables, admin.headers);
  const room = data(await as('mutation($input: CreateChatRoomInput!) { createChatRoom(input: $input) { id } }', { input: { kind: 'DIRECT', memberIds: [other.id] } }), 'createChatRoom');
  const message = data(await as('mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }', { input: { roomId: room.id, text: 'hi', clientMessageId: randomUUID() } }), 'sendMessage');
  const product = data(
    await as('mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input: { name: 'Mug', description: 'A mug', category: 'kitchen', price: 1000, stock: 100 } }),
    'createProduct',
  );
  const order = data(await as('mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', { input: { items: [{ productId: product.id, quantity: 1 }], idempotencyKey: randomUUID() } }), 'placeOrder');
  return { routerUrl: stack.routerUrl, admin, other, roomId: room.id, messageId: message.id, productId: product.id, orderId: order.id };
}

beforeAll(async () => {
  webRoot = await writeWebBuild();
  stack = await startStack({
    NODE_ENV: 'production',
    MAIL_TRANSPORT: 'log',
    PAYMENT_PROVIDER: 'sandbox',
    SERVICE_ACCOUNT_PASSWORD: randomBytes(18).toString('base64url'),
    WEB_DIST_PATH: path.join(webRoot, 'dist'),
  });
  fixtures = await makeFixtures(stack);
});

afterAll(async () => {
  ledger.report();
  await stack?.close();
  await rm(webRoot, { recursive: true, force: true });
});

const current = () => fixtures;

runHttpCases('hostile documents', documentCases, current, ledger);
runHttpCases('hostile bodies', bodyCases, current, ledger);
runHttpCases('hostile URLs and persisted queries', urlCases, current, ledger);
runHttpCases('hostile variables', variableCases, current, ledger);
runWsCases('hostile graphql-ws', websocketCases, current, ledger);

/**
 * The app bench's data, made through the router as users would make it: signed-up users in
 * group rooms with messages, an administrator's catalog, orders. Besides the 50 users who make the
 * load, a "few" and a "many" user whose lists differ only in length (5 vs 50 rooms, 2 vs 20 orders),
 * for counting statements per request against list length.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { ROOT } from './processes';
import type { Stack } from './stack';
import { DOCUMENTS, variables, type Catalog, type Viewer } from './operations';

export const USERS = 50;
/** Each load user is in this many rooms of 5 members. */
const ROOMS_PER_USER = 10;
const MEMBERS_PER_ROOM = 5;
const MESSAGES_PER_ROOM = 10;
const PRODUCTS = 60;
const PASSWORD = 'bench password 1';

export interface Seeded {
  viewers: Viewer[];
  catalog: Catalog;
  /** Lists of different length, same shape: 5 rooms and 2 orders vs 50 rooms and 20 orders; a room of 60 messages. */
  few: Viewer;
  many: Viewer;
}

export async function graphql<T = Record<string, any>>(stack: Stack, query: string, vars: Record<string, unknown>, token?: string): Promise<T> {
  const response = await fetch(stack.routerUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables: vars }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (!response.ok || body.errors || !body.data) throw new Error(`${query.slice(0, 60)}…: HTTP ${response.status} ${JSON.stringify(body.errors ?? body)}`);
  return body.data;
}

async function inParallel<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index], index);
      }
    }),
  );
  return results;
}

interface Account {
  id: string;
  token: string;
}

const SIGN_UP = 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }';
const LOG_IN = 'mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { accessToken } }';
const CREATE_ROOM = 'mutation($input: CreateChatRoomInput!) { createChatRoom(input: $input) { id } }';
const CREATE_PRODUCT = 'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }';

async function signUp(stack: Stack, email: string, nickname: string): Promise<Account> {
  const data = await graphql<{ signUp: { accessToken: string; user: { id: string } } }>(stack, SIGN_UP, { input: { email, password: PASSWORD, nickname } });
  return { id: data.signUp.user.id, token: data.signUp.accessToken };
}

async function createRoom(stack: Stack, owner: Account, others: Account[], title: string): Promise<string> {
  const data = await graphql<{ createChatRoom: { id: string } }>(stack, CREATE_ROOM, { input: { kind: 'GROUP', title, memberIds: others.map((other) => other.id) } }, owner.token);
  return data.createChatRoom.id;
}

async function send(stack: Stack, sender: Account, roomId: string, count: number): Promise<void> {
  const viewer: Viewer = { token: sender.token, roomIds: [roomId] };
  for (let i = 0; i < count; i++) await graphql(stack, DOCUMENTS.sendMessage, variables('sendMessage', viewer, { productIds: [] }), sender.token);
}

/** An administrator as production makes one: sign up, `npm run admin:create`, sign in again for the admin scope. */
async function administrator(stack: Stack): Promise<Account> {
  const email = `bench.admin.${randomUUID()}@example.com`;
  await signUp(stack, email, 'Bench Admin');
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'subgraphs/auth/src/commands/adminCreate.ts', '--email', email], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...stack.env, DATA_DIR: `${stack.workDir}/admin-create` },
    timeout: 120_000,
  });
  const data = await graphql<{ logIn: { accessToken: string } }>(stack, LOG_IN, { email, password: PASSWORD });
  return { id: '', token: data.logIn.accessToken };
}

export async function seed(stack: Stack): Promise<Seeded> {
  const admin = await administrator(stack);
  const productIds = await inParallel(Array.from({ length: PRODUCTS }, (_, i) => i), 8, async (i) => {
    const input = { name: `Product ${i + 1}`, description: `A bench product, number ${i + 1}.`, category: ['food', 'books', 'home'][i % 3], price: 1000 + 100 * i, stock: 1_000_000_000 };
    return (await graphql<{ createProduct: { id: string } }>(stack, CREATE_PRODUCT, { input }, admin.token)).createProduct.id;
  });
  const catalog: Catalog = { productIds };

  const accounts = await inParallel(Array.from({ length: USERS }, (_, i) => i), 8, (i) => signUp(stack, `bench.${i}.${randomUUID()}@example.com`, `Member ${i + 1}`));
  // Room k holds users k, k+10, …, k+40 (mod 50): every user is in 10 rooms of 5.
  const roomCount = (USERS * ROOMS_PER_USER) / MEMBERS_PER_ROOM;
  const rooms = await inParallel(Array.from({ length: roomCount }, (_, k) => k), 8, async (k) => {
    const members = Array.from({ length: MEMBERS_PER_ROOM }, (_, j) => accounts[(k + j * (USERS / MEMBERS_PER_ROOM)) % USERS]);
    const id = await createRoom(stack, members[0], members.slice(1), `Room ${k + 1}`);
    return { id, members };
  });
  await inParallel(rooms, 16, async (room) => {
    for (let i = 0; i < MESSAGES_PER_ROOM; i++) await send(stack, room.members[i % MEMBERS_PER_ROOM], room.id, 1);
  });
  const viewers = accounts.map((account) => ({ token: account.token, roomIds: rooms.filter((room) => room.members.includes(account)).map((room) => room.id) }));

  const [few, many, peer, otherPeer] = await inParallel(['few', 'many', 'peer', 'other peer'], 4, (name) => signUp(stack, `bench.${name.replace(' ', '-')}.${randomUUID()}@example.com`, `List ${name}`));
  const listViewer = async (owner: Account, rooms: number, orders: number): Promise<Viewer> => {
    const roomIds = await inParallel(Array.from({ length: rooms }, (_, i) => i), 8, async (i) => {
      const id = await createRoom(stack, owner, [peer, otherPeer], `List room ${i + 1}`);
      await send(stack, owner, id, 1);
      return id;
    });
    const viewer = { token: owner.token, roomIds };
    for (let i = 0; i < orders; i++) await graphql(stack, DOCUMENTS.placeOrder, variables('placeOrder', viewer, catalog), owner.token);
    return viewer;
  };
  const fewViewer = await listViewer(few, 5, 2);
  const manyViewer = await listViewer(many, 50, 20);
  // One of the few user's rooms gets 60 messages: a page of 5 and one of 50 from the same room.
  await send(stack, few, fewViewer.roomIds[0], 60);
  // Every load user has orders to list.
  await inParallel(viewers, 8, async (viewer) => {
    for (let i = 0; i < 3; i++) await graphql(stack, DOCUMENTS.placeOrder, variables('placeOrder', viewer, catalog), viewer.token);
  });
  return { viewers, catalog, few: fewViewer, many: manyViewer };
}

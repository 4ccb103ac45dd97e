import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { createInProcessTransport, createLogger, createMemoryRevocationStore, type DatabaseTarget, type RunningService } from '@dorandoran/service-kit';
import { bearer, post, type GraphQLResponse } from '@dorandoran/test-support/graphql';
import { startTestIssuer, type TestIssuer } from '@dorandoran/test-support/issuer';
import { testDatabase } from '@dorandoran/test-support/infra';
import { health } from '@dorandoran/test-support/ws';
import { loadUsersConfig } from '@dorandoran/users/config';
import { startUsersService } from '@dorandoran/users/service';
import { loadChatConfig } from '../../src/config';
import { startChatService } from '../../src/service';

export const SECRET = 'chat-test-secret';
export const trusted = { 'x-router-secret': SECRET };

export interface Person {
  id: string;
  token: string;
  /** What the router sends for this person: their token and the router secret. */
  headers: { authorization: string };
}

/**
 * A real users subgraph and a real chat subgraph on port 0, each on a fresh database, with
 * tokens from a test issuer: what the router would sit in front of.
 */
export interface ChatHarness {
  issuer: TestIssuer;
  users: RunningService;
  chat: RunningService;
  /** Where the first chat instance keeps its data, to start a second one on it. */
  chatDatabase: DatabaseTarget;
  /** Another chat instance (own config), closed with the harness. */
  startChat(env?: Record<string, string>, database?: DatabaseTarget): Promise<RunningService>;
  /** A new active user with a profile in users, and a token. */
  person(nickname?: string): Promise<Person>;
  /** Changes a user's status in users, as an administrator would. */
  setStatus(userId: string, status: 'ACTIVE' | 'SUSPENDED' | 'DELETED'): Promise<void>;
  /** POSTs to chat with the router secret, as the router does (and `headers`). */
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<ChatHarness> {
  const issuer = await startTestIssuer();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'chat-test-'));
  const revocations = createMemoryRevocationStore();
  const logger = createLogger('chat-test', process.env.TEST_LOG_LEVEL ?? 'silent');
  const events = createInProcessTransport(logger);
  const baseEnv = {
    ROUTER_SECRET: SECRET,
    AUTH_JWKS_URL: issuer.jwksUrl,
    DATA_DIR: dataDir,
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
  };
  const users = await startUsersService(loadUsersConfig({ ...baseEnv, USERS_PORT: '0' }), { revocations, events, logger, database: testDatabase('users') });
  const extra: RunningService[] = [];
  const startChat = async (env: Record<string, string> = {}, database: DatabaseTarget = testDatabase('chat')) => {
    const service = await startChatService(loadChatConfig({ ...baseEnv, CHAT_PORT: '0', USERS_URL: users.url, ...env }), { revocations, events, logger, database });
    extra.push(service);
    return service;
  };
  const chatDatabase = testDatabase('chat');
  const chat = await startChat({}, chatDatabase);
  const admin = { ...trusted, ...bearer(await issuer.sign({ sub: uuidv7(), scope: 'user admin' })) };

  return {
    issuer,
    users,
    chat,
    chatDatabase,
    startChat,
    async person(nickname = 'Chatter') {
      const id = uuidv7();
      const response = await post(
        users.url,
        'mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }',
        { input: { id, nickname, email: `${randomUUID()}@example.com` } },
        trusted,
      );
      if (!response.data?.createProfile) throw new Error(JSON.stringify(response.errors));
      const token = await issuer.sign({ sub: id });
      return { id, token, headers: { ...trusted, ...bearer(token) } };
    },
    async setStatus(userId, status) {
      const response = await post(
        users.url,
        'mutation($id: ID!, $status: UserStatus!) { setUserStatus(userId: $id, status: $status) { id } }',
        { id: userId, status },
        admin,
      );
      if (!response.data?.setUserStatus) throw new Error(JSON.stringify(response.errors));
    },
    gql: (query, variables = {}, headers = {}) => post(chat.url, query, variables, { ...trusted, ...headers }),
    async close() {
      for (const service of extra.reverse()) await service.close();
      await users.close();
      await events.close();
      await issuer.close();
    },
  };
}

/** Active subscriptions, from the subgraph's /health. */
export async function activeSubscriptions(httpUrl: string): Promise<number> {
  return (await health<{ subscriptions: number }>(httpUrl)).subscriptions;
}

export const CREATE_ROOM = 'mutation($input: CreateChatRoomInput!) { createChatRoom(input: $input) { id kind title members { id } } }';
export const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id text createdAt sender { id } room { id } } }';

/** Creates a room through the subgraph and returns its id. */
export async function createRoom(h: ChatHarness, creator: Person, kind: 'DIRECT' | 'GROUP', memberIds: string[], title?: string): Promise<string> {
  const response = await h.gql(CREATE_ROOM, { input: { kind, memberIds, title } }, creator.headers);
  if (!response.data?.createChatRoom) throw new Error(JSON.stringify(response.errors));
  return response.data.createChatRoom.id;
}

export async function send(h: ChatHarness, sender: Person, roomId: string, text: string, clientMessageId: string = randomUUID()) {
  const response = await h.gql(SEND, { input: { roomId, text, clientMessageId } }, sender.headers);
  if (!response.data?.sendMessage) throw new Error(JSON.stringify(response.errors));
  return response.data.sendMessage as { id: string; text: string; createdAt: string };
}

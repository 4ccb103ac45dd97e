import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { bearer } from '@dorandoran/test-support/graphql';
import { createRoom, send, startHarness, type ChatHarness } from '../helpers/harness';

/** archiveOldMessages, the batch service's message-archive job. */
let h: ChatHarness;
let service: Record<string, string>;
beforeAll(async () => {
  h = await startHarness();
  service = bearer(await h.issuer.sign({ sub: uuidv7(), scope: 'service' }));
});
afterAll(() => h?.close());

const ARCHIVE = 'mutation($days: Int!) { archiveOldMessages(olderThanDays: $days) }';

test('only the service account or an administrator may archive, with 1 to 36500 days', async () => {
  const user = await h.person();
  expect((await h.gql(ARCHIVE, { days: 365 }, user.headers)).errors![0].extensions!.code).toBe('FORBIDDEN');
  expect((await h.gql(ARCHIVE, { days: 365 }, bearer(await h.issuer.sign({ sub: uuidv7(), scope: 'user admin' })))).data).toEqual({ archiveOldMessages: 0 });
  const bad = await h.gql(ARCHIVE, { days: 0 }, service);
  expect(bad.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringMatching(/1 to 36500/) });
  // A service account is not a person: it cannot open rooms.
  const room = await h.gql('mutation($input: CreateChatRoomInput!) { createChatRoom(input: $input) { id } }', { input: { kind: 'DIRECT', memberIds: [user.id] } }, service);
  expect(room.errors![0].extensions!.code).toBe('FORBIDDEN');
});

// Ageing messages takes rewriting their dates, which needs a database this test can reach.
(process.env.DATABASE_URL ? test : test.skip)('messages older than the age leave the room history for the archive table, once', async () => {
  const [mina, joon] = [await h.person('Mina'), await h.person('Joon')];
  const roomId = await createRoom(h, mina, 'DIRECT', [joon.id]);
  const old = [await send(h, mina, roomId, 'first, long ago'), await send(h, joon, roomId, 'second, long ago')];
  await send(h, mina, roomId, 'this week');
  const db = new Client({ connectionString: h.chatDatabase.databaseUrl });
  await db.connect();
  try {
    await db.query(`update chat_messages set created_at = now() - interval '400 days' where id = any($1)`, [old.map((message) => message.id)]);
    expect((await h.gql(ARCHIVE, { days: 365 }, service)).data).toEqual({ archiveOldMessages: 2 });
    expect((await h.gql(ARCHIVE, { days: 365 }, service)).data).toEqual({ archiveOldMessages: 0 });
    const history = await h.gql('query($id: ID!) { chatRoom(id: $id) { messages(last: 10) { edges { node { text } } } lastMessage { text } } }', { id: roomId }, mina.headers);
    expect(history.data!.chatRoom.messages.edges.map((edge: { node: { text: string } }) => edge.node.text)).toEqual(['this week']);
    expect(history.data!.chatRoom.lastMessage.text).toBe('this week');
    const archived = await db.query('select text, seq from chat_messages_archive where room_id = $1 order by seq', [roomId]);
    expect(archived.rows).toEqual([{ text: 'first, long ago', seq: 1 }, { text: 'second, long ago', seq: 2 }]);
    // The room goes on numbering after the archived messages.
    const next = await send(h, joon, roomId, 'still here');
    expect(next.text).toBe('still here');
  } finally {
    await db.end();
  }
});

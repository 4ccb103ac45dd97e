import { MAX_MESSAGE_LENGTH, markNotSent, mergeMessages, messageLength, missedMessages, toMessagePage, withUnreadCounts, type MessagePage, type ShownMessage } from '../src/pages/chatMessages';

const sender = { __typename: 'User' as const, id: 'u1', nickname: 'Mina', avatarUrl: null };
const message = (id: string, at: string, extra: Partial<ShownMessage> = {}): ShownMessage => ({ __typename: 'Message', id, text: id, createdAt: at, unreadCount: 0, sender, ...extra });

describe('mergeMessages (what a room shows)', () => {
  test('history pages and live messages merge oldest first, each once', () => {
    const page = [message('m2', '2026-11-24T10:00:02Z'), message('m3', '2026-11-24T10:00:03Z')];
    const older = [message('m1', '2026-11-24T10:00:01Z'), message('m2', '2026-11-24T10:00:02Z')];
    const live = [message('m4', '2026-11-24T10:00:04Z'), message('m3', '2026-11-24T10:00:03Z')];
    const shown = mergeMessages(mergeMessages(mergeMessages([], page), older), live);
    expect(shown.map((m) => m.id)).toEqual(['m1', 'm2', 'm3', 'm4']);
  });

  test('a sent message shows at once and is replaced by the server copy, once, whichever copy comes first', () => {
    const pending = message('pending:c1', '2026-11-24T10:00:09Z', { clientMessageId: 'c1', pending: true });
    const confirmed = message('m9', '2026-11-24T10:00:05Z', { clientMessageId: 'c1' });
    const echo = message('m9', '2026-11-24T10:00:05Z');
    const earlier = [message('m1', '2026-11-24T10:00:01Z')];

    const mutationFirst = mergeMessages(mergeMessages(mergeMessages(earlier, [pending]), [confirmed]), [echo]);
    const subscriptionFirst = mergeMessages(mergeMessages(mergeMessages(earlier, [pending]), [echo]), [confirmed]);
    for (const shown of [mutationFirst, subscriptionFirst]) {
      expect(shown.map((m) => m.id)).toEqual(['m1', 'm9']);
      expect(shown[1]).toMatchObject({ clientMessageId: 'c1' });
      expect(shown[1].pending).toBeFalsy();
    }
  });

  test('messages still on their way stay after the confirmed ones; a failed one stays, marked', () => {
    const pending = message('pending:c2', '2026-11-24T09:00:00Z', { clientMessageId: 'c2', pending: true });
    const shown = mergeMessages([pending], [message('m1', '2026-11-24T10:00:01Z')]);
    expect(shown.map((m) => m.id)).toEqual(['m1', 'pending:c2']);
    const failed = mergeMessages(shown, [{ ...pending, pending: false, failed: true }]);
    expect(failed).toHaveLength(2);
    expect(failed[1]).toMatchObject({ clientMessageId: 'c2', failed: true });
  });
});

describe('missedMessages (catching up after the socket was away)', () => {
  /** A room of `count` messages m1…m<count>, served newest page first, `size` at a time, as ChatRoomMessages does. */
  function room(count: number, size: number) {
    const all = Array.from({ length: count }, (_, i) => message(`m${i + 1}`, `2026-11-24T10:00:${String(i).padStart(2, '0')}Z`));
    const asked: (string | null)[] = [];
    const fetchPage = async (before: string | null): Promise<MessagePage> => {
      asked.push(before);
      const end = before === null ? all.length : all.findIndex((m) => m.id === before);
      const start = Math.max(0, end - size);
      return { messages: all.slice(start, end), olderCursor: start > 0 ? all[start].id : null };
    };
    return { all, asked, fetchPage };
  }
  const ids = (list: { id: string }[]) => list.map((m) => m.id);

  test('what came after the newest shown message, oldest first, from one page when it is enough', async () => {
    const { asked, fetchPage } = room(12, 5);
    const shown = new Set(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    expect(ids(await missedMessages(fetchPage, shown))).toEqual(['m10', 'm11', 'm12']);
    expect(asked).toEqual([null]);
  });

  test('more missed than a page: goes back page by page until it meets a shown message', async () => {
    const { asked, fetchPage } = room(20, 5);
    expect(ids(await missedMessages(fetchPage, new Set(['m1', 'm2', 'm3', 'm4'])))).toEqual(Array.from({ length: 16 }, (_, i) => `m${i + 5}`));
    expect(asked).toEqual([null, 'm16', 'm11', 'm6']);
  });

  test('nothing missed: one page asked, nothing returned', async () => {
    const { all, asked, fetchPage } = room(8, 5);
    expect(await missedMessages(fetchPage, new Set(ids(all)))).toEqual([]);
    expect(asked).toHaveLength(1);
  });

  test('stops at the room\'s start, and after maxPages however much is missing', async () => {
    const small = room(7, 5);
    expect(ids(await missedMessages(small.fetchPage, new Set()))).toEqual(ids(small.all));
    expect(small.asked).toHaveLength(2);
    const big = room(100, 5);
    const missed = await missedMessages(big.fetchPage, new Set(['m1']), 3);
    expect(ids(missed)).toEqual(Array.from({ length: 15 }, (_, i) => `m${i + 86}`));
    expect(big.asked).toHaveLength(3);
  });
});

describe('toMessagePage (a ChatRoomMessages page as the room uses it)', () => {
  const edges = [message('m1', '2026-11-24T10:00:01Z'), message('m2', '2026-11-24T10:00:02Z')].map((node) => ({ node }));

  test('the messages in order, and the cursor before them while older ones exist', () => {
    expect(toMessagePage({ edges, pageInfo: { hasPreviousPage: true, startCursor: 'c1' } })).toEqual({ messages: edges.map((e) => e.node), olderCursor: 'c1' });
  });

  test("no cursor at the room's first message, and an empty page when the room is gone", () => {
    expect(toMessagePage({ edges, pageInfo: { hasPreviousPage: false, startCursor: 'c1' } }).olderCursor).toBeNull();
    expect(toMessagePage(undefined)).toEqual({ messages: [], olderCursor: null });
  });
});

describe('withUnreadCounts (the sender\'s unread numbers kept live)', () => {
  test('takes the server\'s numbers for the messages it names and keeps the rest, and the same objects when nothing changed', () => {
    const shown = [message('m1', '2026-11-24T10:00:01Z', { unreadCount: 2 }), message('m2', '2026-11-24T10:00:02Z', { unreadCount: 2 })];
    const updated = withUnreadCounts(shown, new Map([['m2', 1], ['m9', 0]]));
    expect(updated.map((m) => [m.id, m.unreadCount])).toEqual([['m1', 2], ['m2', 1]]);
    expect(updated[0]).toBe(shown[0]);
  });
});

describe('messageLength (the limit as the server counts it)', () => {
  test('counts code points after trimming, so an emoji is one character and surrounding spaces are none', () => {
    expect(messageLength('  안녕 👋  ')).toBe(4);
    expect(messageLength('a'.repeat(MAX_MESSAGE_LENGTH) + '   ')).toBe(4000);
  });
});

describe('the subscription\'s copy of one\'s own message before the mutation\'s answer', () => {
  const pending = (cid: string, at: string, text = 'same words') => message(`pending:${cid}`, at, { clientMessageId: cid, text, pending: true });
  const echo = (id: string, at: string, text = 'same words') => message(id, at, { text });

  test('takes the place of the oldest copy on its way with that text, so it shows once and keeps its key', () => {
    const shown = mergeMessages([], [pending('c1', '2026-11-24T10:00:01Z'), pending('c2', '2026-11-24T10:00:02Z'), pending('c3', '2026-11-24T10:00:03Z', 'other')]);
    const afterEcho = mergeMessages(shown, [echo('m1', '2026-11-24T10:00:01Z')]);
    expect(afterEcho.map((m) => [m.id, m.clientMessageId, Boolean(m.pending)])).toEqual([
      ['m1', 'c1', false],
      ['pending:c2', 'c2', true],
      ['pending:c3', 'c3', true],
    ]);
    // The mutation's answer then finds it by id: still once.
    const answered = mergeMessages(afterEcho, [{ ...echo('m1', '2026-11-24T10:00:01Z'), clientMessageId: 'c1' }]);
    expect(answered.map((m) => m.id)).toEqual(['m1', 'pending:c2', 'pending:c3']);
  });

  test('another sender\'s message with the same text is another message', () => {
    const theirs = { ...echo('m7', '2026-11-24T10:00:01Z'), sender: { ...sender, id: 'u2' } };
    expect(mergeMessages([pending('c1', '2026-11-24T10:00:01Z')], [theirs]).map((m) => m.id)).toEqual(['m7', 'pending:c1']);
  });

  test('a send whose answer was lost after its copy arrived stays sent; one that never arrived is marked not sent', () => {
    const attempt = pending('c1', '2026-11-24T10:00:01Z');
    const arrived = mergeMessages(mergeMessages([], [attempt]), [echo('m1', '2026-11-24T10:00:01Z')]);
    expect(markNotSent(arrived, attempt).map((m) => [m.id, Boolean(m.failed)])).toEqual([['m1', false]]);
    expect(markNotSent([attempt], attempt).map((m) => [m.id, Boolean(m.failed)])).toEqual([['pending:c1', true]]);
  });
});

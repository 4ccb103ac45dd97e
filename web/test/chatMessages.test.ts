import { mergeMessages, type ShownMessage } from '../src/pages/chatMessages';

const sender = { __typename: 'User' as const, id: 'u1', nickname: 'Mina', avatarUrl: null };
const message = (id: string, at: string, extra: Partial<ShownMessage> = {}): ShownMessage => ({ __typename: 'Message', id, text: id, createdAt: at, sender, ...extra });

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

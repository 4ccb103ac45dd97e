import type { ChatRoomSummaryFragment } from '../src/__generated__/graphql';
import { dayLabel, dayOf, groupByDay } from '../src/pages/chat/messageTime';
import { applyRoomEvent } from '../src/pages/chat/roomList';

const me = { __typename: 'User' as const, id: 'me', nickname: 'Me', avatarUrl: null };
const other = { __typename: 'User' as const, id: 'u2', nickname: 'Jun', avatarUrl: null };

function room(id: string, createdAt: string, lastAt: string | null, extra: Partial<ChatRoomSummaryFragment> = {}): ChatRoomSummaryFragment {
  return {
    __typename: 'ChatRoom',
    id,
    kind: 'DIRECT',
    title: null,
    unreadCount: 0,
    createdAt,
    members: [me, other],
    lastMessage: lastAt ? { __typename: 'Message', id: `${id}-last`, text: 'hi', createdAt: lastAt, unreadCount: 0, sender: other } : null,
    ...extra,
  };
}

describe('applyRoomEvent (the room list kept by chatRoomEvents)', () => {
  const list = [room('r2', '2026-12-01T10:00:00Z', '2026-12-05T09:00:00Z'), room('r1', '2026-12-01T09:00:00Z', '2026-12-04T09:00:00Z')];

  test('a room joined is put in by its activity', () => {
    const joined = room('r3', '2026-12-04T12:00:00Z', null);
    expect(applyRoomEvent(list, { kind: 'JOINED', room: joined }, 'me', 50).map((r) => r.id)).toEqual(['r2', 'r3', 'r1']);
  });

  test('a message moves its room to the top with the event\'s unread count, once', () => {
    const busy = room('r1', '2026-12-01T09:00:00Z', '2026-12-05T10:00:00Z', { unreadCount: 3 });
    const updated = applyRoomEvent(list, { kind: 'MESSAGE', room: busy }, 'me', 50);
    expect(updated.map((r) => [r.id, r.unreadCount])).toEqual([['r1', 3], ['r2', 0]]);
  });

  test('a room the viewer left goes; one someone else left stays', () => {
    const withoutMe = room('r2', '2026-12-01T10:00:00Z', '2026-12-05T09:00:00Z', { members: [other] });
    expect(applyRoomEvent(list, { kind: 'LEFT', room: withoutMe }, 'me', 50).map((r) => r.id)).toEqual(['r1']);
    const withoutJun = room('r2', '2026-12-01T10:00:00Z', '2026-12-05T09:00:00Z', { members: [me] });
    expect(applyRoomEvent(list, { kind: 'LEFT', room: withoutJun }, 'me', 50).map((r) => r.id)).toEqual(['r2', 'r1']);
  });

  test('the list keeps its limit: the least active room drops off', () => {
    const fresh = room('r3', '2026-12-05T11:00:00Z', null);
    expect(applyRoomEvent(list, { kind: 'JOINED', room: fresh }, 'me', 2).map((r) => r.id)).toEqual(['r3', 'r2']);
  });
});

describe('messages by day', () => {
  const at = (day: number, hour: number) => new Date(2026, 11, day, hour).toISOString();

  test('runs of one local day, oldest first', () => {
    const groups = groupByDay([{ createdAt: at(4, 23) }, { createdAt: at(5, 0) }, { createdAt: at(5, 9) }]);
    expect(groups.map((group) => [group.day, group.items.length])).toEqual([
      ['2026-12-04', 1],
      ['2026-12-05', 2],
    ]);
  });

  test('today, yesterday, then the date (with the year only when it is another year\'s)', () => {
    const now = new Date(2026, 11, 5, 12);
    expect(dayLabel(dayOf(now), now)).toBe('Today');
    expect(dayLabel('2026-12-04', now)).toBe('Yesterday');
    expect(dayLabel('2026-12-01', now, 'en-GB')).toBe('Tuesday 1 December');
    expect(dayLabel('2025-12-31', now, 'en-GB')).toBe('Wednesday, 31 December 2025');
  });
});

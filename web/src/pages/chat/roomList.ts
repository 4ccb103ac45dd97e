import type { ChatRoomEventKind, ChatRoomSummaryFragment } from '../../__generated__/graphql';

/** When a room last saw activity: its newest message, else its creation. */
export const activityOf = (room: Pick<ChatRoomSummaryFragment, 'createdAt' | 'lastMessage'>) => room.lastMessage?.createdAt ?? room.createdAt;

/** Latest activity first, as chatRooms orders them (ties by id, newest first). */
export function byActivity(rooms: readonly ChatRoomSummaryFragment[]): ChatRoomSummaryFragment[] {
  return [...rooms].sort((a, b) => activityOf(b).localeCompare(activityOf(a)) || b.id.localeCompare(a.id));
}

/**
 * The room list after one of chatRoomEvents' events: a room the viewer left goes; any other room
 * is put in (a new one) or replaced by the event's copy, and the list is ordered by activity again.
 */
export function applyRoomEvent(
  rooms: readonly ChatRoomSummaryFragment[],
  event: { kind: ChatRoomEventKind; room: ChatRoomSummaryFragment },
  viewerId: string,
  limit: number,
): ChatRoomSummaryFragment[] {
  const others = rooms.filter((room) => room.id !== event.room.id);
  const left = event.kind === 'LEFT' && !event.room.members.some((member) => member.id === viewerId);
  return left ? others : byActivity([...others, event.room]).slice(0, limit);
}

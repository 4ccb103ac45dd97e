import type { ChatRoomSummaryFragment } from '../../__generated__/graphql';

/** What a room is called for the viewer: its title, else the other members' nicknames. */
export const roomLabel = (room: Pick<ChatRoomSummaryFragment, 'title' | 'members'>, viewerId: string) =>
  room.title ||
  room.members
    .filter((member) => member.id !== viewerId)
    .map((member) => member.nickname)
    .join(', ') ||
  'Just you';

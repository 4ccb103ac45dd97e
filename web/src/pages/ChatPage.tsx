import { useApolloClient, useQuery, useSubscription } from '@apollo/client/react';
import { useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ChatRoomEventsDocument, ChatRoomsDocument, type ChatRoomSummaryFragment } from '../__generated__/graphql';
import { ErrorMessage, Loading } from '../components/Status';
import { useCatchUpOnReconnect } from '../useCatchUp';
import { useSession } from '../useSession';
import { ConnectionBanner } from './chat/ConnectionBanner';
import { NewRoomForm } from './chat/NewRoomForm';
import { roomLabel } from './chat/roomLabel';
import { applyRoomEvent } from './chat/roomList';
import { RoomView } from './chat/RoomView';
import { useResubscribe } from '../useResubscribe';

/** The rooms the list shows: the most recently active. */
const ROOMS = 50;

/**
 * Rooms by latest activity beside the open room. One subscription (chatRoomEvents) keeps the
 * list current: rooms made with the viewer appear, new messages move their room up with its
 * unread count, reads and leaves update it. The open room follows its own messages.
 */
export function ChatPage() {
  const { roomId } = useParams();
  const me = useSession()!.user.id;
  const client = useApolloClient();
  const navigate = useNavigate();
  const rooms = useQuery(ChatRoomsDocument, { variables: { first: ROOMS }, fetchPolicy: 'cache-and-network' });
  const [readVersion, setReadVersion] = useState(0);
  const openRoom = useRef(roomId);
  openRoom.current = roomId;

  const feed = useSubscription(ChatRoomEventsDocument, {
    onData: ({ data }) => {
      const event = data.data?.chatRoomEvents;
      if (!event) return;
      client.cache.updateQuery({ query: ChatRoomsDocument, variables: { first: ROOMS } }, (current) =>
        current?.chatRooms
          ? {
              ...current,
              chatRooms: {
                ...current.chatRooms,
                edges: applyRoomEvent(
                  current.chatRooms.edges.map((edge) => edge.node),
                  event,
                  me,
                  ROOMS,
                ).map((node) => ({ __typename: 'ChatRoomEdge' as const, node })),
              },
            }
          : current,
      );
      if (event.room.id !== openRoom.current) return;
      if (event.kind === 'READ') setReadVersion((version) => version + 1);
      if (event.kind === 'LEFT' && !event.room.members.some((member) => member.id === me)) navigate('/chat');
    },
  });
  // Events sent while the socket or the feed was down reached nobody: the list is fetched again.
  useCatchUpOnReconnect(() => void rooms.refetch());
  useResubscribe(feed, () => void rooms.refetch());

  const list = rooms.data?.chatRooms?.edges.map((edge) => edge.node) ?? [];
  return (
    <div className={roomId ? 'chat has-room' : 'chat'}>
      <ConnectionBanner />
      <aside className="rooms">
        <NewRoomForm />
        {rooms.loading && !rooms.data && <Loading what="your rooms" />}
        <ErrorMessage error={rooms.error} />
        <nav aria-label="Rooms">
          {list.length === 0 && rooms.data?.chatRooms && <p className="hint">No rooms yet: start one by typing someone's nickname.</p>}
          <ul>
            {list.map((room) => (
              <li key={room.id}>
                <RoomLink room={room} active={room.id === roomId} viewerId={me} />
              </li>
            ))}
          </ul>
        </nav>
      </aside>
      {roomId ? <RoomView key={roomId} roomId={roomId} readVersion={readVersion} /> : <p className="hint pick">Pick a room, or start one.</p>}
    </div>
  );
}

function RoomLink({ room, active, viewerId }: { room: ChatRoomSummaryFragment; active: boolean; viewerId: string }) {
  return (
    <Link to={`/chat/${room.id}`} className={active ? 'room active' : 'room'} aria-current={active ? 'page' : undefined}>
      <span className="label">{roomLabel(room, viewerId)}</span>
      {room.lastMessage && <span className="preview">{room.lastMessage.text}</span>}
      {room.unreadCount > 0 && !active && <span className="badge">{room.unreadCount} unread</span>}
    </Link>
  );
}

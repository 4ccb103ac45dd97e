import { useApolloClient, useMutation, useQuery, useSubscription } from '@apollo/client/react';
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import {
  ChatRoomMessagesDocument,
  ChatRoomsDocument,
  CreateChatRoomDocument,
  MarkRoomReadDocument,
  MessageAddedDocument,
  SendMessageDocument,
  UsersByNicknameDocument,
  type ChatMessageFragment,
  type ChatRoomSummaryFragment,
} from '../__generated__/graphql';
import { ErrorMessage, Loading } from '../components/Status';
import { useCatchUpOnReconnect } from '../useCatchUp';
import { useSession } from '../useSession';
import { mergeMessages, missedMessages, toMessagePage, type ShownMessage } from './chatMessages';
import { memberFor } from './roomMembers';

const PAGE = 30;

/** Rooms by latest activity beside the open room; both live. */
export function ChatPage() {
  const { roomId } = useParams();
  const rooms = useQuery(ChatRoomsDocument, { variables: { first: 50 }, fetchPolicy: 'cache-and-network' });
  // New rooms, the order by activity and the unread counts that the room links' subscriptions missed.
  useCatchUpOnReconnect(() => void rooms.refetch());
  const list = rooms.data?.chatRooms?.edges.map((edge) => edge.node) ?? [];
  return (
    <div className="chat">
      <aside className="rooms">
        <NewRoomForm />
        {rooms.loading && !rooms.data && <Loading what="your rooms" />}
        <ErrorMessage error={rooms.error} />
        <nav aria-label="Rooms">
          {list.length === 0 && rooms.data?.chatRooms && <p className="hint">No rooms yet: start one with a nickname.</p>}
          <ul>
            {list.map((room) => (
              <li key={room.id}>
                <RoomLink room={room} active={room.id === roomId} onActivity={() => void rooms.refetch()} />
              </li>
            ))}
          </ul>
        </nav>
      </aside>
      {roomId ? <RoomView key={roomId} roomId={roomId} onActivity={() => void rooms.refetch()} /> : <p className="hint pick">Pick a room, or start one.</p>}
    </div>
  );
}

function useRoomLabel(room: Pick<ChatRoomSummaryFragment, 'title' | 'members'> | undefined) {
  const me = useSession()?.user.id;
  if (!room) return '';
  return room.title || room.members.filter((member) => member.id !== me).map((member) => member.nickname).join(', ') || 'Just you';
}

/** A room in the list; its own subscription keeps the list's order and unread counts current. */
function RoomLink({ room, active, onActivity }: { room: ChatRoomSummaryFragment; active: boolean; onActivity: () => void }) {
  const label = useRoomLabel(room);
  useSubscription(MessageAddedDocument, { variables: { roomId: room.id }, skip: active, onData: onActivity });
  return (
    <Link to={`/chat/${room.id}`} className={active ? 'room active' : 'room'} aria-current={active ? 'page' : undefined}>
      <span className="label">{label}</span>
      {room.lastMessage && <span className="preview">{room.lastMessage.text}</span>}
      {room.unreadCount > 0 && !active && <span className="badge">{room.unreadCount} unread</span>}
    </Link>
  );
}

function RoomView({ roomId, onActivity }: { roomId: string; onActivity: () => void }) {
  const me = useSession()!.user;
  const history = useQuery(ChatRoomMessagesDocument, { variables: { roomId, last: PAGE }, fetchPolicy: 'network-only' });
  const [messages, setMessages] = useState<ShownMessage[]>([]);
  const [olderCursor, setOlderCursor] = useState<string | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState<unknown>(null);
  const client = useApolloClient();
  const [markRead] = useMutation(MarkRoomReadDocument);
  const room = history.data?.chatRoom;
  const label = useRoomLabel(room ?? undefined);
  const bottom = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const connection = history.data?.chatRoom?.messages;
    if (!connection) return;
    const page = toMessagePage(connection);
    setMessages((shown) => mergeMessages(shown, page.messages));
    setOlderCursor(page.olderCursor);
  }, [history.data]);

  /** The page of messages before `before` (the newest page for null). */
  const fetchPage = async (before: string | null) => {
    const { data } = await client.query({ query: ChatRoomMessagesDocument, variables: { roomId, last: PAGE, before }, fetchPolicy: 'network-only' });
    return toMessagePage(data?.chatRoom?.messages);
  };

  useSubscription(MessageAddedDocument, {
    variables: { roomId },
    onData: ({ data }) => {
      const message = data.data?.messageAdded;
      if (message) setMessages((shown) => mergeMessages(shown, [message]));
      onActivity();
    },
  });

  useCatchUpOnReconnect(() => {
    if (!history.data) return; // the first page is still on its way, and has them
    const shownIds = new Set(messages.map((message) => message.id));
    missedMessages(fetchPage, shownIds).then(
      (missed) => setMessages((shown) => mergeMessages(shown, missed)),
      () => undefined, // the next reconnection or a reload tries again
    );
  });

  const newest = [...messages].reverse().find((message) => !message.pending);
  useEffect(() => {
    if (newest) void markRead({ variables: { roomId, messageId: newest.id } }).then(onActivity, () => undefined);
    bottom.current?.scrollIntoView?.({ block: 'end' });
    // Only a new newest message is worth telling the server about.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [newest?.id]);

  const loadOlder = async () => {
    if (!olderCursor) return;
    setLoadingOlder(true);
    setOlderError(null);
    try {
      const page = await fetchPage(olderCursor);
      setMessages((shown) => mergeMessages(shown, page.messages));
      setOlderCursor(page.olderCursor);
    } catch (error) {
      setOlderError(error);
    } finally {
      setLoadingOlder(false);
    }
  };

  if (history.loading && !history.data) return <Loading what="messages" />;
  if (history.error) return <ErrorMessage error={history.error} />;
  if (!room) return <p className="error" role="alert">This room does not exist, or you are not in it.</p>;

  return (
    <section className="room-view" aria-label="Messages">
      <h2>{label}</h2>
      {olderCursor && (
        <button type="button" className="older" onClick={loadOlder} disabled={loadingOlder}>
          Load older messages
        </button>
      )}
      <ErrorMessage error={olderError} />
      <ul className="messages">
        {messages.map((message) => (
          <li key={message.clientMessageId ?? message.id} className={message.sender.id === me.id ? 'message mine' : 'message'}>
            <span className="sender">{message.sender.nickname}</span>
            <span className="text">{message.text}</span>
            {message.pending && <span className="sending"> (sending…)</span>}
            {message.failed && <span className="failed"> (not sent)</span>}
          </li>
        ))}
      </ul>
      <div ref={bottom} />
      <Composer roomId={roomId} me={me} onOptimistic={(message) => setMessages((shown) => mergeMessages(shown, [message]))} />
    </section>
  );
}

/** Shows the message at once, then swaps in the server's copy (or marks it not sent). */
function Composer({ roomId, me, onOptimistic }: { roomId: string; me: { id: string; nickname: string; avatarUrl?: string | null }; onOptimistic: (message: ShownMessage) => void }) {
  const [text, setText] = useState('');
  const [send, sending] = useMutation(SendMessageDocument);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = text.trim();
    if (!trimmed) return;
    const clientMessageId = crypto.randomUUID();
    const optimistic: ShownMessage = {
      __typename: 'Message',
      id: `pending:${clientMessageId}`,
      clientMessageId,
      text: trimmed,
      createdAt: new Date().toISOString(),
      sender: { __typename: 'User', id: me.id, nickname: me.nickname, avatarUrl: me.avatarUrl ?? null },
      pending: true,
    };
    onOptimistic(optimistic);
    setText('');
    try {
      const { data } = await send({ variables: { input: { roomId, text: trimmed, clientMessageId } } });
      if (data) onOptimistic({ ...data.sendMessage, clientMessageId });
    } catch {
      onOptimistic({ ...optimistic, pending: false, failed: true });
    }
  };
  return (
    <form className="composer" onSubmit={submit}>
      <label>
        <span className="visually-hidden">Message</span>
        <input aria-label="Message" value={text} onChange={(e) => setText(e.target.value)} maxLength={4000} placeholder="Write a message" />
      </label>
      <button type="submit" disabled={!text.trim()}>
        Send
      </button>
      <ErrorMessage error={sending.error} />
    </form>
  );
}

/** Finds each nickname, then opens a direct room (one person) or a group room (several). */
function NewRoomForm() {
  const client = useApolloClient();
  const navigate = useNavigate();
  const [nicknames, setNicknames] = useState('');
  const [title, setTitle] = useState('');
  const [problem, setProblem] = useState<unknown>(null);
  const [create, creating] = useMutation(CreateChatRoomDocument);
  const wanted = useMemo(() => nicknames.split(',').map((n) => n.trim()).filter(Boolean), [nicknames]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    try {
      const memberIds: string[] = [];
      for (const nickname of wanted) {
        const { data } = await client.query({ query: UsersByNicknameDocument, variables: { nickname }, fetchPolicy: 'network-only' });
        memberIds.push(memberFor(nickname, data?.usersByNickname ?? []).id);
      }
      const group = memberIds.length > 1;
      const { data } = await create({ variables: { input: { kind: group ? 'GROUP' : 'DIRECT', memberIds, title: group ? title.trim() || null : null } } });
      if (data) {
        setNicknames('');
        setTitle('');
        await client.refetchQueries({ include: [ChatRoomsDocument] });
        navigate(`/chat/${data.createChatRoom.id}`);
      }
    } catch (error) {
      setProblem(error);
    }
  };

  return (
    <form className="new-room" onSubmit={submit}>
      <label>
        Nicknames
        <input value={nicknames} onChange={(e) => setNicknames(e.target.value)} placeholder="Mina, or Mina, Jun for a group" />
      </label>
      {wanted.length > 1 && (
        <label>
          Group title
          <input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={100} />
        </label>
      )}
      <button type="submit" disabled={wanted.length === 0 || creating.loading}>
        Start chat
      </button>
      <ErrorMessage error={problem} />
    </form>
  );
}

export type { ChatMessageFragment };

import { useApolloClient, useMutation, useQuery, useSubscription } from '@apollo/client/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import {
  ChatRoomMessagesDocument,
  MarkRoomReadDocument,
  MessageAddedDocument,
  MessageReadCountsDocument,
  SendMessageDocument,
} from '../../__generated__/graphql';
import { ErrorMessage, Loading } from '../../components/Status';
import { useConnection } from '../../connection';
import { useCatchUpOnReconnect } from '../../useCatchUp';
import { useSession } from '../../useSession';
import { markNotSent, mergeMessages, missedMessages, toMessagePage, withUnreadCounts, type ShownMessage } from '../chatMessages';
import { Composer } from './Composer';
import { dayLabel, groupByDay, timeLabel } from './messageTime';
import { roomLabel } from './roomLabel';
import { useFillViewport } from './useFillViewport';
import { useResubscribe } from '../../useResubscribe';
import { useStickToBottom } from './useStickToBottom';

const PAGE = 30;
/** The newest messages whose unread numbers are kept live; older ones are as they were loaded. */
const READ_COUNTS_OF = 100;
/** Room for the page's own bottom padding under the room. */
const BOTTOM_GAP_PX = 16;

/**
 * An open room: its history from the newest message back, live messages, the sender's unread
 * numbers kept current by `readVersion` (bumped by the room list's READ events), and sending with
 * a retry that reuses the message's clientMessageId.
 */
export function RoomView({ roomId, readVersion }: { roomId: string; readVersion: number }) {
  const me = useSession()!.user;
  const client = useApolloClient();
  const history = useQuery(ChatRoomMessagesDocument, { variables: { roomId, last: PAGE }, fetchPolicy: 'network-only' });
  const [messages, setMessages] = useState<ShownMessage[]>([]);
  const [olderCursor, setOlderCursor] = useState<string | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState<unknown>(null);
  const [sendError, setSendError] = useState<unknown>(null);
  const [markRead] = useMutation(MarkRoomReadDocument);
  const [sendMessage] = useMutation(SendMessageDocument);
  const connection = useConnection();
  const room = history.data?.chatRoom;
  const section = useRef<HTMLElement>(null);
  const list = useRef<HTMLDivElement>(null);
  useFillViewport(section, BOTTOM_GAP_PX);

  const own = useRef(new Set<string>());
  for (const message of messages) if (message.sender.id === me.id) own.current.add(message.id);
  const isOwn = useCallback((id: string) => own.current.has(id), []);
  const { atBottom, unseen, onScroll, scrollToBottom } = useStickToBottom(list, messages, isOwn);

  /**
   * Set once an older page is shown. The newest page's data comes again whenever the cache changes
   * under it (read counts refreshed, for one): it must not move the cursor back to its own.
   */
  const pagedBack = useRef(false);
  useEffect(() => {
    const connection = history.data?.chatRoom?.messages;
    if (!connection) return;
    const page = toMessagePage(connection);
    setMessages((shown) => mergeMessages(shown, page.messages));
    if (!pagedBack.current) setOlderCursor(page.olderCursor);
  }, [history.data]);

  /** The page of messages before `before` (the newest page for null). */
  const fetchPage = async (before: string | null) => {
    const { data } = await client.query({ query: ChatRoomMessagesDocument, variables: { roomId, last: PAGE, before }, fetchPolicy: 'network-only' });
    return toMessagePage(data?.chatRoom?.messages);
  };

  const refreshReadCounts = () => {
    client.query({ query: MessageReadCountsDocument, variables: { roomId, last: READ_COUNTS_OF }, fetchPolicy: 'network-only' }).then(
      ({ data }) => {
        const counts = new Map(data?.chatRoom?.messages.edges.map((edge) => [edge.node.id, edge.node.unreadCount]) ?? []);
        setMessages((shown) => withUnreadCounts(shown, counts));
      },
      () => undefined, // the next read or reconnection tries again
    );
  };

  useEffect(() => {
    const waiting = messages.some((message) => message.sender.id === me.id && !message.pending && !message.failed && message.unreadCount > 0);
    if (readVersion > 0 && waiting) refreshReadCounts();
    // Only a new read is a reason to ask.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [readVersion]);

  const feed = useSubscription(MessageAddedDocument, {
    variables: { roomId },
    onData: ({ data }) => {
      const message = data.data?.messageAdded;
      if (message) setMessages((shown) => mergeMessages(shown, [message]));
    },
  });

  const catchUp = () => {
    if (!history.data) return; // the first page is still on its way, and has them
    const shownIds = new Set(messages.map((message) => message.id));
    missedMessages(fetchPage, shownIds).then(
      (missed) => setMessages((shown) => mergeMessages(shown, missed)),
      () => undefined, // the next reconnection or a reload tries again
    );
    refreshReadCounts();
  };
  useCatchUpOnReconnect(catchUp);
  useResubscribe(feed, catchUp);

  // A failure to send is about the connection it was sent on: once the socket is back, so is sending.
  useEffect(() => {
    if (connection === 'connected') setSendError(null);
  }, [connection]);

  // Read is what the reader has seen: the newest message, once they are at the end of the list.
  const newest = [...messages].reverse().find((message) => !message.pending && !message.failed);
  useEffect(() => {
    if (newest && atBottom) void markRead({ variables: { roomId, messageId: newest.id } }).catch(() => undefined);
    // Only a new newest message, or arriving at it, is worth telling the server about.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [newest?.id, atBottom]);

  /** Shows the message at once, then swaps in the server's copy; a failure keeps it, to be retried with the same id. */
  const deliver = async (text: string, clientMessageId: string, createdAt: string) => {
    const optimistic: ShownMessage = {
      __typename: 'Message',
      id: `pending:${clientMessageId}`,
      clientMessageId,
      text,
      createdAt,
      unreadCount: 0,
      sender: { __typename: 'User', id: me.id, nickname: me.nickname, avatarUrl: me.avatarUrl ?? null },
      pending: true,
      failed: false,
    };
    own.current.add(optimistic.id);
    setMessages((shown) => mergeMessages(shown, [optimistic]));
    try {
      const { data } = await sendMessage({ variables: { input: { roomId, text, clientMessageId } } });
      if (data) {
        own.current.add(data.sendMessage.id);
        setMessages((shown) => mergeMessages(shown, [{ ...data.sendMessage, clientMessageId }]));
        setSendError(null);
      }
    } catch (error) {
      setMessages((shown) => markNotSent(shown, optimistic));
      setSendError(error);
    }
  };

  const loadOlder = async () => {
    if (!olderCursor) return;
    setLoadingOlder(true);
    setOlderError(null);
    try {
      const page = await fetchPage(olderCursor);
      setMessages((shown) => mergeMessages(shown, page.messages));
      pagedBack.current = true;
      setOlderCursor(page.olderCursor);
    } catch (error) {
      setOlderError(error);
    } finally {
      setLoadingOlder(false);
    }
  };

  const label = room ? roomLabel(room, me.id) : '';
  const now = new Date();
  return (
    <section className="room-view" aria-label="Messages" ref={section}>
      <header className="room-head">
        <Link to="/chat" className="back">
          ← Rooms
        </Link>
        <h2>{label}</h2>
        {room?.kind === 'GROUP' && <span className="hint">{room.members.length} members</span>}
      </header>
      <div className="message-scroll" ref={list} onScroll={onScroll}>
        {history.loading && !history.data && <Loading what="messages" />}
        <ErrorMessage error={history.error} />
        {history.data && !room && (
          <p className="error" role="alert">
            This room does not exist, or you are not in it.
          </p>
        )}
        {olderCursor && (
          <button type="button" className="older" onClick={loadOlder} disabled={loadingOlder}>
            Load older messages
          </button>
        )}
        <ErrorMessage error={olderError} />
        {history.data && room && messages.length === 0 && <p className="hint">No messages yet. Say hello!</p>}
        <ol className="messages">
          {groupByDay(messages).map((group) => [
            <li key={`day:${group.day}`} className="day" role="separator" aria-label={dayLabel(group.day, now)}>
              <time dateTime={group.day}>{dayLabel(group.day, now)}</time>
            </li>,
            ...group.items.map((message, index) => (
              <MessageItem
                key={message.clientMessageId ?? message.id}
                message={message}
                mine={message.sender.id === me.id}
                // Like a chat app, a run of one person's messages is named once.
                named={index === 0 || group.items[index - 1].sender.id !== message.sender.id}
                onRetry={() => void deliver(message.text, message.clientMessageId!, message.createdAt)}
              />
            )),
          ])}
        </ol>
      </div>
      {unseen > 0 && (
        <button type="button" className="new-messages" onClick={scrollToBottom}>
          ↓ {unseen === 1 ? '1 new message' : `${unseen} new messages`}
        </button>
      )}
      {room && <Composer error={sendError} onSend={(text) => void deliver(text, crypto.randomUUID(), new Date().toISOString())} />}
    </section>
  );
}

function MessageItem({ message, mine, named, onRetry }: { message: ShownMessage; mine: boolean; named: boolean; onRetry: () => void }) {
  const sent = !message.pending && !message.failed;
  return (
    <li className={mine ? 'message mine' : 'message'}>
      <span className={mine || !named ? 'sender visually-hidden' : 'sender'}>{message.sender.nickname}</span>
      <span className="text">{message.text}</span>
      <span className="meta">
        {mine && sent && message.unreadCount > 0 && (
          <span className="unread-count" title={message.unreadCount === 1 ? 'Not read yet by 1 member' : `Not read yet by ${message.unreadCount} members`}>
            {message.unreadCount}
            <span className="visually-hidden"> not read yet</span>
          </span>
        )}
        {sent && <time dateTime={message.createdAt}>{timeLabel(new Date(message.createdAt))}</time>}
        {message.pending && <span className="sending">Sending…</span>}
        {message.failed && (
          <span className="failed">
            Not sent.{' '}
            <button type="button" className="retry" onClick={onRetry}>
              Retry
            </button>
          </span>
        )}
      </span>
    </li>
  );
}

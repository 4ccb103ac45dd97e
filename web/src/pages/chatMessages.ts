import type { ChatMessageFragment } from '../__generated__/graphql';

/** A message as the room shows it: from the server, or sent from here and not confirmed yet. */
export interface ShownMessage extends ChatMessageFragment {
  clientMessageId?: string;
  pending?: boolean;
  failed?: boolean;
}

const onTheWay = (m: ShownMessage) => Boolean(m.pending || m.failed);

/**
 * Merges messages into the shown list, oldest first, each once: the server's copy of a message sent
 * from here replaces its pending copy (same clientMessageId), and the subscription's copy of it
 * (same id) is the same message, whichever of the two arrives first. The subscription's copy does
 * not carry the clientMessageId, so when it comes before the mutation's answer it takes the place
 * of the oldest copy on its way from the same sender with the same text.
 */
export function mergeMessages(shown: readonly ShownMessage[], incoming: readonly ShownMessage[]): ShownMessage[] {
  let result = [...shown];
  for (const message of incoming) {
    if (message.clientMessageId) result = result.filter((m) => m.id === message.id || m.clientMessageId !== message.clientMessageId);
    let index = result.findIndex((m) => m.id === message.id);
    if (index < 0 && !message.clientMessageId && !onTheWay(message)) {
      const [oldest] = result
        .filter((m) => onTheWay(m) && m.sender.id === message.sender.id && m.text === message.text)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      if (oldest) index = result.indexOf(oldest);
    }
    if (index >= 0) {
      const merged = { ...result[index], ...message, clientMessageId: message.clientMessageId ?? result[index].clientMessageId };
      result[index] = onTheWay(message) ? merged : { ...merged, pending: false, failed: false };
    } else result.push(message);
  }
  // Confirmed messages in the server's order (ids are UUID v7 taken in the room's sequence, unlike
  // createdAt under concurrency); those still on their way after them, as they were sent.
  return result.sort((a, b) => Number(onTheWay(a)) - Number(onTheWay(b)) || (onTheWay(a) ? a.createdAt.localeCompare(b.createdAt) : a.id.localeCompare(b.id)));
}

/**
 * A send that failed, unless the message reached the room meanwhile (its answer was lost, and the
 * subscription's copy came): then it stays sent.
 */
export function markNotSent(shown: readonly ShownMessage[], attempt: ShownMessage): ShownMessage[] {
  if (shown.some((m) => m.clientMessageId === attempt.clientMessageId && !onTheWay(m))) return [...shown];
  return mergeMessages(shown, [{ ...attempt, pending: false, failed: true }]);
}

/** The most characters a message may have, counted as the server counts them: after trimming, per code point. */
export const MAX_MESSAGE_LENGTH = 4000;

export const messageLength = (text: string) => [...text.trim()].length;

/** The shown messages with the server's current unread numbers (others keep theirs). */
export function withUnreadCounts(shown: readonly ShownMessage[], counts: ReadonlyMap<string, number>): ShownMessage[] {
  return shown.map((message) => {
    const unreadCount = counts.get(message.id);
    return unreadCount === undefined || unreadCount === message.unreadCount ? message : { ...message, unreadCount };
  });
}

/** One page of a room's messages, oldest first, as ChatRoomMessages returns it. */
export interface MessagePage {
  messages: ChatMessageFragment[];
  /** Where the page before this one ends; null at the room's first message. */
  olderCursor: string | null;
}

/** A page of ChatRoomMessages (none when the room is gone) as a MessagePage. */
export function toMessagePage(
  connection: { edges: readonly { node: ChatMessageFragment }[]; pageInfo: { hasPreviousPage: boolean; startCursor?: string | null } } | undefined,
): MessagePage {
  if (!connection) return { messages: [], olderCursor: null };
  return { messages: connection.edges.map((edge) => edge.node), olderCursor: connection.pageInfo.hasPreviousPage ? connection.pageInfo.startCursor ?? null : null };
}

/**
 * The messages a room missed while its subscription was away: newest pages, going back until a
 * page reaches a message already shown (or the room's start, or `maxPages`, past which the shown
 * list keeps a gap rather than loading a whole history).
 */
export async function missedMessages(
  fetchPage: (before: string | null) => Promise<MessagePage>,
  shownIds: ReadonlySet<string>,
  maxPages = 10,
): Promise<ChatMessageFragment[]> {
  const missed: ChatMessageFragment[] = [];
  let before: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const { messages, olderCursor } = await fetchPage(before);
    missed.unshift(...messages.filter((message) => !shownIds.has(message.id)));
    if (!olderCursor || messages.some((message) => shownIds.has(message.id))) break;
    before = olderCursor;
  }
  return missed;
}

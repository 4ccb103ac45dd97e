import type { ChatMessageFragment } from '../__generated__/graphql';

/** A message as the room shows it: from the server, or sent from here and not confirmed yet. */
export interface ShownMessage extends ChatMessageFragment {
  clientMessageId?: string;
  pending?: boolean;
  failed?: boolean;
}

/**
 * Merges messages into the shown list, oldest first, each once: the server's copy of a message sent
 * from here replaces its pending copy (same clientMessageId), and the subscription's copy of it
 * (same id) is the same message, whichever of the two arrives first.
 */
export function mergeMessages(shown: readonly ShownMessage[], incoming: readonly ShownMessage[]): ShownMessage[] {
  let result = [...shown];
  for (const message of incoming) {
    if (message.clientMessageId) result = result.filter((m) => m.id === message.id || m.clientMessageId !== message.clientMessageId);
    const index = result.findIndex((m) => m.id === message.id);
    if (index >= 0) result[index] = { ...result[index], ...message, clientMessageId: message.clientMessageId ?? result[index].clientMessageId };
    else result.push(message);
  }
  // Confirmed messages in the server's order (ids are UUID v7 taken in the room's sequence, unlike
  // createdAt under concurrency); those still on their way after them, as they were sent.
  const onTheWay = (m: ShownMessage) => Boolean(m.pending || m.failed);
  return result.sort((a, b) => Number(onTheWay(a)) - Number(onTheWay(b)) || (onTheWay(a) ? a.createdAt.localeCompare(b.createdAt) : a.id.localeCompare(b.id)));
}

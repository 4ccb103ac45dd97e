import type { MessageConnectionResolvers } from '../__generated__/resolvers-types';
import { encodeMessageCursor } from '../pagination';

export const MessageConnection: MessageConnectionResolvers = {
  edges: ({ messages }) => messages.map((message) => ({ cursor: encodeMessageCursor(message.seq), node: message })),
  pageInfo: ({ messages, hasNextPage, hasPreviousPage }) => ({
    hasNextPage,
    hasPreviousPage,
    startCursor: messages.length ? encodeMessageCursor(messages[0].seq) : null,
    endCursor: messages.length ? encodeMessageCursor(messages[messages.length - 1].seq) : null,
  }),
};

/**
 * The app bench's operations: what the web app sends for each screen (the same selections as
 * web/src/graphql/*.graphql, as text), and how often a chat and shop app sends each. Reads dominate.
 */
import { randomUUID } from 'node:crypto';

const CHAT_MESSAGE = 'id text createdAt unreadCount sender { id nickname avatarUrl }';
const ROOM_SUMMARY = `id kind title unreadCount createdAt members { id nickname avatarUrl } lastMessage { ${CHAT_MESSAGE} }`;
const MONEY = 'amount currency';
const ORDER_DETAIL = `id status createdAt total { ${MONEY} }
  items { productName quantity unitPrice { ${MONEY} } subtotal { ${MONEY} } product { id } }
  payment { status method approvedAt failureReason }
  history { from to actorRole at reason }
  shippingAddress { recipient phone postalCode line1 line2 }`;

export const DOCUMENTS = {
  me: 'query Me { me { id email nickname avatarUrl bio roles } }',
  roomList: `query ChatRooms($first: Int) { chatRooms(first: $first) { edges { node { ${ROOM_SUMMARY} } } pageInfo { hasNextPage endCursor } } }`,
  roomMessages: `query ChatRoomMessages($roomId: ID!, $last: Int) { chatRoom(id: $roomId) { ${ROOM_SUMMARY} messages(last: $last) { edges { node { ${CHAT_MESSAGE} } } pageInfo { hasPreviousPage startCursor } } } }`,
  products: `query Products($first: Int) { products(first: $first) { edges { node { id name description category stock active imageUrl price { ${MONEY} } } } pageInfo { hasNextPage endCursor } } }`,
  myOrders: `query MyOrders($first: Int) { myOrders(first: $first) { edges { node { ${ORDER_DETAIL} } } pageInfo { hasNextPage endCursor } } }`,
  sendMessage: `mutation SendMessage($input: SendMessageInput!) { sendMessage(input: $input) { ${CHAT_MESSAGE} } }`,
  placeOrder: `mutation PlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { ${ORDER_DETAIL} } }`,
} as const;

export type OperationName = keyof typeof DOCUMENTS;
export const OPERATIONS = Object.keys(DOCUMENTS) as OperationName[];

/** Out of 100 requests. */
export const WEIGHTS: Record<OperationName, number> = {
  me: 15,
  roomList: 20,
  roomMessages: 20,
  products: 20,
  myOrders: 10,
  sendMessage: 10,
  placeOrder: 5,
};

/** The page sizes the web app asks for. */
export const ROOM_LIST_SIZE = 50;
export const MESSAGES_PAGE = 30;
export const PRODUCTS_PAGE = 20;
export const ORDERS_PAGE = 10;

export interface Viewer {
  token: string;
  /** Rooms the viewer is a member of. */
  roomIds: string[];
}

export interface Catalog {
  productIds: string[];
}

const pick = <T>(items: readonly T[]) => items[Math.floor(Math.random() * items.length)];

/** The variables of one request of `operation` by `viewer`: fresh keys for each message and order, as the app makes them. */
export function variables(operation: OperationName, viewer: Viewer, catalog: Catalog, sizes: Partial<Record<'first' | 'last', number>> = {}): Record<string, unknown> {
  switch (operation) {
    case 'me':
      return {};
    case 'roomList':
      return { first: sizes.first ?? ROOM_LIST_SIZE };
    case 'roomMessages':
      return { roomId: pick(viewer.roomIds), last: sizes.last ?? MESSAGES_PAGE };
    case 'products':
      return { first: sizes.first ?? PRODUCTS_PAGE };
    case 'myOrders':
      return { first: sizes.first ?? ORDERS_PAGE };
    case 'sendMessage':
      return { input: { roomId: pick(viewer.roomIds), text: `Message ${randomUUID().slice(0, 8)}`, clientMessageId: randomUUID() } };
    case 'placeOrder': {
      const first = pick(catalog.productIds);
      const second = pick(catalog.productIds.filter((id) => id !== first));
      return {
        input: {
          items: [
            { productId: first, quantity: 1 },
            { productId: second, quantity: 2 },
          ],
          idempotencyKey: randomUUID(),
          shippingAddress: { recipient: 'Bench Buyer', phone: '010-1234-5678', postalCode: '04524', line1: '1 Sejong-daero, Jung-gu', line2: 'Apt 101' },
        },
      };
    }
  }
}

/** `length` operations in the proportions of WEIGHTS, shuffled. */
export function mix(length: number): OperationName[] {
  const total = OPERATIONS.reduce((sum, operation) => sum + WEIGHTS[operation], 0);
  const sequence = OPERATIONS.flatMap((operation) => Array.from({ length: Math.round((WEIGHTS[operation] * length) / total) }, () => operation));
  for (let i = sequence.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [sequence[i], sequence[j]] = [sequence[j], sequence[i]];
  }
  return sequence;
}

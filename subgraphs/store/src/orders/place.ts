import type { EntityManager } from '@mikro-orm/postgresql';
import { appError, badUserInput, conflict, isUuid, preparedQuery } from '@dorandoran/service-kit';
import type { OrderItemInput, PlaceOrderInput, ShippingAddressInput } from '../__generated__/resolvers-types';
import { Order } from '../entities/Order.entity';
import { OrderItem } from '../entities/OrderItem.entity';
import { OrderStatusChange } from '../entities/OrderStatusChange.entity';
import { Product } from '../entities/Product.entity';
import type { OrderServices } from './services';

const MAX_LINES = 50;
const MAX_QUANTITY = 99;
const MAX_KEY_LENGTH = 100;
/** PostgreSQL integer: the largest total an order can have. */
const MAX_TOTAL = 2 ** 31 - 1;

interface Line {
  productId: string;
  quantity: number;
}

/** The lines as the client listed them, checked. Messages name the line (1-based), never an id a person cannot read. */
function checkLines(items: readonly OrderItemInput[]): Line[] {
  if (items.length < 1 || items.length > MAX_LINES) {
    throw badUserInput('items', `An order has 1 to ${MAX_LINES} lines; this one has ${items.length}.`);
  }
  const seen = new Set<string>();
  const lines = items.map(({ productId, quantity }, index) => {
    if (!isUuid(productId)) throw badUserInput('items', `Line ${index + 1} does not name a product of this store; remove it and add the product again.`);
    const id = productId.toLowerCase();
    if (seen.has(id)) throw badUserInput('items', `Line ${index + 1} repeats a product that is already on the order; put its whole quantity on one line.`);
    seen.add(id);
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
      throw badUserInput('items', `The quantity on line ${index + 1} must be a whole number from 1 to ${MAX_QUANTITY}; it is ${quantity}.`);
    }
    return { productId: id, quantity };
  });
  return lines;
}

const ADDRESS_LIMITS = { recipient: 50, phone: 20, postalCode: 10, line1: 100, line2: 100 } as const;
const PHONE = /^\+?[0-9 ()-]{7,20}$/;
const POSTAL_CODE = /^[0-9A-Za-z -]{1,10}$/;

interface ShippingAddress {
  recipient: string;
  phone: string;
  postalCode: string;
  line1: string;
  line2: string | null;
}

/** A delivery address, trimmed and checked field by field; each message says which field and what to change. */
function checkShippingAddress(input: ShippingAddressInput): ShippingAddress {
  const field = (name: keyof typeof ADDRESS_LIMITS, label: string, required: boolean): string | null => {
    const value = ((input[name] as string | null | undefined) ?? '').trim();
    const path = `shippingAddress.${name}`;
    if (!value) {
      if (required) throw badUserInput(path, `The ${label} is missing; fill it in.`);
      return null;
    }
    const length = [...value].length;
    if (length > ADDRESS_LIMITS[name]) throw badUserInput(path, `The ${label} takes at most ${ADDRESS_LIMITS[name]} characters; this one has ${length}.`);
    return value;
  };
  const phone = field('phone', 'phone number', true)!;
  if (!PHONE.test(phone) || phone.replace(/\D/g, '').length < 7) {
    throw badUserInput('shippingAddress.phone', 'The phone number takes 7 to 20 digits, optionally with +, spaces, hyphens or parentheses, e.g. 010-1234-5678.');
  }
  const postalCode = field('postalCode', 'postal code', true)!;
  if (!POSTAL_CODE.test(postalCode)) throw badUserInput('shippingAddress.postalCode', 'The postal code takes letters, digits, spaces and hyphens only, e.g. 04524.');
  return {
    recipient: field('recipient', "recipient's name", true)!,
    phone,
    postalCode,
    line1: field('line1', 'street address', true)!,
    line2: field('line2', 'second address line', false),
  };
}

function checkKey(key: string): string {
  const length = [...key].length;
  if (length < 1 || length > MAX_KEY_LENGTH) {
    throw badUserInput('idempotencyKey', `idempotencyKey must be 1 to ${MAX_KEY_LENGTH} characters, e.g. a UUID made once per order.`);
  }
  return key;
}

/** Why a line could not be reserved, read after its conditional update matched nothing. */
async function unavailable(tx: EntityManager, line: Line) {
  const product = await tx.findOne(Product, line.productId);
  if (!product) return appError('BAD_USER_INPUT', 'A product on the order is not in the store any more; remove it from your cart.', { field: 'items', productId: line.productId });
  if (!product.active) return appError('BAD_USER_INPUT', `"${product.name}" is no longer for sale; remove it from your cart.`, { field: 'items', productId: product.id });
  // The id goes in extensions for programs; a person reads the name and the number.
  const left = product.stock === 0 ? `"${product.name}" is sold out` : `Only ${product.stock} of "${product.name}" ${product.stock === 1 ? 'is' : 'are'} left`;
  return appError('CONFLICT', `${left}; the order asked for ${line.quantity}. Nothing was reserved: lower the quantity and order again.`, {
    productId: product.id,
    available: product.stock,
  });
}

/** PostgreSQL's unique_violation, and the key a concurrent retry of the same order meets. */
const UNIQUE_VIOLATION = '23505';
const IDEMPOTENCY_KEY = 'orders_buyer_id_idempotency_key_unique';

/**
 * Reserves every line in one statement: the products' rows are locked in id order (so concurrent
 * orders never deadlock), and each is taken down only if it is for sale with enough stock. Answers the
 * products it reserved; a line missing from them could not be.
 */
const RESERVE = `with wanted as (select * from unnest($1::uuid[], $2::int[]) as w(product_id, quantity)),
  locked as materialized (
    select p.id from products p join wanted w on w.product_id = p.id
    where p.active and p.stock >= w.quantity order by p.id for update of p)
  update products p set stock = p.stock - w.quantity, updated_at = now()
  from wanted w where p.id = w.product_id and p.id in (select id from locked) and p.stock >= w.quantity
  returning p.*`;

/** The order, its lines, its first status and its order.placed event, in one statement. */
const INSERT_ORDER = `with placed as (
    insert into orders (id, created_at, updated_at, buyer_id, status, total_amount, idempotency_key,
      ship_recipient, ship_phone, ship_postal_code, ship_line1, ship_line2)
    values ($1::uuid, $2::timestamptz, $2::timestamptz, $3::uuid, 'PENDING_PAYMENT'::order_status, $4::int, $5::varchar,
      $6::varchar, $7::varchar, $8::varchar, $9::varchar, $10::varchar)
    returning id),
  items as (
    insert into order_items (id, created_at, updated_at, order_id, product_id, product_name, unit_price, quantity)
    select i.id, $2::timestamptz, $2::timestamptz, placed.id, i.product_id, i.product_name, i.unit_price, i.quantity
    from placed, unnest($11::uuid[], $12::uuid[], $13::varchar[], $14::int[], $15::int[]) as i(id, product_id, product_name, unit_price, quantity)),
  history as (
    insert into order_status_changes (id, created_at, updated_at, order_id, from_status, to_status, actor_id, actor_role, reason)
    select $16::uuid, $2::timestamptz, $2::timestamptz, placed.id, null, 'PENDING_PAYMENT'::order_status, $3::uuid, 'BUYER'::order_actor_role, null from placed)
  insert into outbox_events (id, type, version, producer, subject, data, occurred_at)
  select $17::uuid, $18::varchar, $19::int, $20::varchar, $21::varchar, $22::jsonb, $23::timestamptz from placed`;

/**
 * Places an order at current prices and reserves its stock in one transaction of two statements (the
 * reservation, then the order with its lines, status and event), so the products' row locks are held
 * for two round trips: under concurrent orders the locks serialise them and stock never goes below
 * zero. The same idempotencyKey from the same buyer returns the first order.
 */
export async function placeOrder(orders: OrderServices, buyerId: string, input: PlaceOrderInput): Promise<Order> {
  const key = checkKey(input.idempotencyKey);
  const lines = checkLines(input.items);
  const address = input.shippingAddress ? checkShippingAddress(input.shippingAddress) : null;
  const em = orders.em.fork();
  const earlier = await em.findOne(Order, { buyerId, idempotencyKey: key });
  if (earlier) return sameOrder(em, earlier, lines);
  try {
    const order = await em.fork().transactional(async (tx) => {
      const rows = await preparedQuery(tx, RESERVE, [lines.map((line) => line.productId), lines.map((line) => line.quantity)]);
      const reserved = new Map(rows.map((row) => [row.id as string, tx.map(Product, row)]));
      // The first line that could not be reserved, in the order the locks are taken, says why.
      const missing = [...lines].sort((a, b) => a.productId.localeCompare(b.productId)).find((line) => !reserved.has(line.productId));
      if (missing) throw await unavailable(tx, missing);
      const placed = new Order(buyerId, 0, key);
      if (address) {
        Object.assign(placed, {
          shipRecipient: address.recipient,
          shipPhone: address.phone,
          shipPostalCode: address.postalCode,
          shipLine1: address.line1,
          shipLine2: address.line2,
        });
      }
      // Items keep the client's order (their ids grow in creation order).
      const items = lines.map((line) => new OrderItem(placed, reserved.get(line.productId)!, line.quantity));
      placed.totalAmount = items.reduce((sum, item) => sum + item.unitPrice * item.quantity, 0);
      if (placed.totalAmount > MAX_TOTAL) throw badUserInput('items', `The order's total would be ${placed.totalAmount} KRW, over the limit of ${MAX_TOTAL}; split it.`);
      const history = new OrderStatusChange(placed, null, 'PENDING_PAYMENT', { role: 'BUYER', userId: buyerId }, null);
      const event = orders.events.outboxRow('order.placed', placed.id, {
        orderId: placed.id,
        buyerId,
        total: { amount: placed.totalAmount, currency: 'KRW' },
        itemCount: lines.length,
      });
      await preparedQuery(tx, INSERT_ORDER, [
        ...[placed.id, placed.createdAt, buyerId, placed.totalAmount, key],
        ...[placed.shipRecipient, placed.shipPhone, placed.shipPostalCode, placed.shipLine1, placed.shipLine2],
        ...[items.map((item) => item.id), items.map((item) => item.productId), items.map((item) => item.productName), items.map((item) => item.unitPrice), items.map((item) => item.quantity)],
        history.id,
        ...[event.id, event.type, event.version, event.producer, event.subject, event.data, event.occurredAt],
      ]);
      return placed;
    });
    orders.events.written(em);
    return order;
  } catch (error) {
    const { code, constraint } = error as { code?: string; constraint?: string };
    if (code !== UNIQUE_VIOLATION || constraint !== IDEMPOTENCY_KEY) throw error;
    // A concurrent retry with this key placed it first (and this attempt's reservations rolled back).
    return sameOrder(em, await em.fork().findOneOrFail(Order, { buyerId, idempotencyKey: key }), lines);
  }
}

/** A retry must ask for what the key was first used for; a different order under an old key is a client bug. */
async function sameOrder(em: EntityManager, order: Order, lines: Line[]): Promise<Order> {
  const items = await em.fork().find(OrderItem, { order: order.id });
  const asked = lines.map((line) => `${line.productId}x${line.quantity}`).sort().join(',');
  const placed = items.map((item) => `${item.productId}x${item.quantity}`).sort().join(',');
  if (asked !== placed) {
    throw conflict('This idempotencyKey was already used for another order; make a new key for each order.');
  }
  return order;
}

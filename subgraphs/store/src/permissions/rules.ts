import { rule } from 'graphql-shield';
import { forbidden, unauthenticated } from '@dorandoran/service-kit';
import { isAdmin as hasAdminScope, type Context } from '../context';
import type { OrderRecord } from '../orders';

/** Inactive products are the administrators' business; everyone else lists active ones only. */
export const mayIncludeInactive = rule({ cache: 'no_cache' })((_parent, args: { includeInactive?: boolean | null }, { viewer }: Context) =>
  !args.includeInactive || hasAdminScope(viewer) ? true : forbidden('Only administrators can list inactive products; leave includeInactive out.'),
);

function buyerOrAdmin(order: Pick<OrderRecord, 'id' | 'buyerId'> | null, orderId: string, { viewer }: Context) {
  if (!viewer) return unauthenticated();
  if (hasAdminScope(viewer) || order?.buyerId === viewer.userId) return true;
  return forbidden(`Only the buyer and administrators can see order "${orderId}" (or it does not exist).`);
}

/** For operations on an order named by an argument: reading, cancelling, subscribing. */
export const canSeeOrder = (orderIdOf: (args: Record<string, any>) => string) =>
  rule({ cache: 'no_cache' })(async (_parent, args, context: Context) => {
    const orderId = orderIdOf(args);
    return buyerOrAdmin(await context.loaders.orderById.load(orderId), orderId, context);
  });

/** Paying is the buyer's alone. */
export const isOrderBuyer = (orderIdOf: (args: Record<string, any>) => string) =>
  rule({ cache: 'no_cache' })(async (_parent, args, context: Context) => {
    if (!context.viewer) return unauthenticated();
    const orderId = orderIdOf(args);
    const order = await context.loaders.orderById.load(orderId);
    return order?.buyerId === context.viewer.userId ? true : forbidden(`Only the buyer can pay order "${orderId}" (or it does not exist).`);
  });

/** Type-level: every field of an order, also one reached through `_entities` or a list. */
export const isOrderVisible = rule({ cache: 'no_cache' })((order: OrderRecord, _args, context: Context) => buyerOrAdmin(order, order.id, context));

/** A user's orders: the user themself and administrators. */
export const isSelfOrAdmin = rule({ cache: 'no_cache' })((user: { id: string }, _args, { viewer }: Context) => {
  if (!viewer) return unauthenticated();
  return viewer.userId === user.id || hasAdminScope(viewer) ? true : forbidden("Only the user themself and administrators can see a user's orders.");
});

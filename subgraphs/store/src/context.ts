import type { EntityManager } from '@mikro-orm/postgresql';
import { requestContext, type RequestContext, type RequestIdentity, type Viewer } from '@dorandoran/service-kit';
import { createLoaders, type Loaders } from './loaders';
import type { OrderServices } from './orders';
import type { ProductFeed } from './productFeed';

/** What the resolvers use besides the database; made once per server. */
export interface StoreServices {
  /** The order's life cycle: its database, outbox, payment provider and feed. */
  orders: OrderServices;
  /** Product changes for productChanged subscribers. */
  products: ProductFeed;
}

export interface Context extends RequestContext<Loaders> {
  store: StoreServices;
}

export function createContext(em: EntityManager, store: StoreServices, identity: RequestIdentity): Context {
  return { ...requestContext(em, identity, createLoaders), store };
}

/** A subscription's context lives as long as it does: each event reads items, payment and history afresh. */
export function renewForEvent(context: Context): void {
  context.em = context.em.fork();
  context.loaders = createLoaders(context.em);
}

export const isAdmin = (viewer: Viewer | null): boolean => viewer?.scopes.has('admin') ?? false;

import { badUserInput, isUuid, mapAsyncIterator, type Logger, type PubSub } from '@dorandoran/service-kit';

/** One topic for every product: a subscriber picks its ids out, so a change is published once however many follow it. */
export const PRODUCTS_TOPIC = 'store.products';
/** How many products one productChanged subscription may follow (a store page shows at most 100). */
export const MAX_WATCHED_PRODUCTS = 100;

interface ProductChange {
  id: string;
}

/** Product changes (stock, price, text, image), published after they commit, watched by productChanged. */
export interface ProductFeed {
  changed(productIds: Iterable<string>): Promise<void>;
  /** Each change of one of `ids` from now on, mapped; never ends by itself. */
  watch<T>(ids: readonly string[], map: (productId: string) => Promise<T>): Promise<AsyncIterableIterator<T>>;
  readonly activeSubscriptions: number;
}

/** The ids a subscriber asked for, checked: 1 to MAX_WATCHED_PRODUCTS product ids. */
export function checkWatchedIds(ids: readonly string[]): Set<string> {
  if (ids.length < 1 || ids.length > MAX_WATCHED_PRODUCTS) {
    throw badUserInput('ids', `Follow 1 to ${MAX_WATCHED_PRODUCTS} products at a time; ${ids.length} were asked for.`);
  }
  const bad = ids.find((id) => !isUuid(id));
  if (bad !== undefined) throw badUserInput('ids', `"${bad.slice(0, 40)}" is not a product id; send the ids products returned.`);
  return new Set(ids.map((id) => id.toLowerCase()));
}

export function createProductFeed(pubsub: PubSub, logger: Logger): ProductFeed {
  let active = 0;
  return {
    async changed(productIds) {
      for (const id of new Set(productIds)) {
        try {
          await pubsub.publish(PRODUCTS_TOPIC, { id } satisfies ProductChange);
        } catch (error) {
          // The change is committed: a lost event costs live delivery only (a reload shows it).
          logger.warn({ productId: id, err: (error as Error).message }, 'product change not published');
        }
      }
    },
    async watch(ids, map) {
      const wanted = checkWatchedIds(ids);
      const events = await pubsub.subscribe<ProductChange>(PRODUCTS_TOPIC);
      active++;
      return mapAsyncIterator(events, {
        decide: (change) => (wanted.has(change.id) ? 'deliver' : 'skip'),
        map: (change) => map(change.id),
        onEnd: () => active--,
      });
    },
    get activeSubscriptions() {
      return active;
    },
  };
}

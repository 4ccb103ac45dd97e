import type { EntityManager } from '@mikro-orm/core';

/**
 * Each ORM's outbox relay, keyed by the event manager its entity managers share: what a recorder wakes
 * after a statement of its own committed outbox rows, which no flush tells the relay of. Internal to
 * the events module (relay.ts registers, outbox.ts wakes).
 */
const wakers = new WeakMap<object, () => void>();

export function registerRelayWaker(em: EntityManager, wake: () => void): () => void {
  wakers.set(em.getEventManager(), wake);
  return () => {
    if (wakers.get(em.getEventManager()) === wake) wakers.delete(em.getEventManager());
  };
}

export function wakeRelay(em: EntityManager): void {
  wakers.get(em.getEventManager())?.();
}

import { randomUUID } from 'node:crypto';
import { parseEnvelope, type EventEnvelope, type EventTransport, type EventType, type Logger } from '@dorandoran/service-kit';
import { entityId, type EntityCache } from './entityCache';

/** Which domain events change which cached entities: each owner's events for the fields it marks @viewerIndependent. */
const CHANGED_BY: { [T in EventType]?: (event: EventEnvelope<T>) => string[] } = {
  'user.profile_changed': (event) => [entityId('users', 'User', event.data.userId)],
  'user.deleted': (event) => [entityId('users', 'User', event.data.userId)],
};

/**
 * Drops cached entities as their owners' events arrive. With `shared`, in one consumer group for every
 * router instance: the store they share (Redis) needs each event applied once. Otherwise each instance's
 * cache is its own, so each is a group of its own and hears every event. Delivery is at least once
 * and invalidating twice is harmless; an invalidation that fails (Redis away) is retried by the
 * transport, and meanwhile the entity's TTL bounds how stale it can be.
 */
export function invalidateOnEvents(cache: EntityCache, transport: EventTransport, logger: Logger, shared: boolean): Promise<{ close(): Promise<void> }> {
  return transport.subscribe({
    group: shared ? 'router-entity-cache' : `router-entity-cache:${randomUUID()}`,
    types: Object.keys(CHANGED_BY) as EventType[],
    async handle(raw) {
      const event = parseEnvelope(raw);
      const entities = (CHANGED_BY[event.type] as ((event: EventEnvelope) => string[]) | undefined)?.(event) ?? [];
      await cache.invalidate(entities);
      logger.debug({ eventId: event.id, type: event.type, entities: entities.length }, 'entity cache invalidated');
    },
  });
}

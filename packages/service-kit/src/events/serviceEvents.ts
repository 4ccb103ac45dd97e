import type { MikroORM } from '@mikro-orm/core';
import type { Metric } from 'prom-client';
import type { Logger } from '../logger';
import { startEventConsumer, type EventHandlers } from './consumer';
import { createInProcessTransport } from './inProcessTransport';
import { createEventMetrics } from './metrics';
import { createEventRecorder, type EventRecorder } from './outbox';
import { createRedisStreamsTransport } from './redisStreamsTransport';
import { startOutboxRelay } from './relay';
import type { EventTransport } from './transport';

/** Redis Streams when REDIS_URL is set, the in-process log otherwise (one per process, shared by its services). */
export function createEventTransport(redisUrl: string | undefined, logger: Logger, options: { prefix?: string } = {}): EventTransport {
  return redisUrl ? createRedisStreamsTransport(redisUrl, logger, options) : createInProcessTransport(logger);
}

export interface ServiceEvents {
  /** Writes this service's events into the outbox with the change that causes them. */
  recorder: EventRecorder;
  /** The outbox backlog and the dead letters, for the service's registry. */
  metrics: Metric[];
  close(): Promise<void>;
}

/** One service's part of the event backbone: its outbox relay, and its consumer when it handles events. */
export async function startServiceEvents(options: {
  service: string;
  orm: MikroORM;
  transport: EventTransport;
  logger: Logger;
  handlers?: EventHandlers;
}): Promise<ServiceEvents> {
  const relay = startOutboxRelay(options);
  const { metrics, deadLettered } = createEventMetrics(options.orm);
  const consumer = options.handlers
    ? await startEventConsumer({ ...options, handlers: options.handlers, deadLettered }).catch(async (error) => {
        await relay.close();
        throw error;
      })
    : undefined;
  return {
    recorder: createEventRecorder(options.service),
    metrics,
    async close() {
      await consumer?.close();
      await relay.close();
    },
  };
}

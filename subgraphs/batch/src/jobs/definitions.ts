import type { EntityManager } from '@mikro-orm/postgresql';
import type { BatchConfig, JobName } from '../config';
import { dailyReport, localDate } from '../reports';
import type { JobDefinition } from './engine';
import type { ServiceClient } from './serviceClient';

/** Each job changes only its owner's data, through the owner's maintenance mutation on the router. */
export function jobDefinitions(config: BatchConfig, graph: ServiceClient, em: () => EntityManager): JobDefinition[] {
  const schedule = (name: JobName, fallback: string) => config.schedules[name] ?? fallback;
  return [
    {
      name: 'session-cleanup',
      description: 'auth: deletes sessions and refresh tokens that have expired, and expired reset codes.',
      schedule: schedule('session-cleanup', '0 3 * * *'),
      run: async () => {
        const data = await graph.request<{ purgeEndedSessions: number }>('mutation BatchSessionCleanup { purgeEndedSessions }');
        return { sessionsRemoved: data.purgeEndedSessions };
      },
    },
    {
      name: 'dormant-accounts',
      description: `users: marks accounts without a sign-in for ${config.dormantAfterDays} days as dormant.`,
      schedule: schedule('dormant-accounts', '30 3 * * *'),
      run: async () => {
        const data = await graph.request<{ markDormantUsers: number }>(
          'mutation BatchDormantAccounts($days: Int!) { markDormantUsers(inactiveDays: $days) }',
          { days: config.dormantAfterDays },
        );
        return { markedDormant: data.markDormantUsers };
      },
    },
    {
      name: 'abandoned-orders',
      description: `store: cancels orders left unpaid for ${config.abandonedOrderMinutes} minutes and releases their stock.`,
      schedule: schedule('abandoned-orders', '*/5 * * * *'),
      run: async () => {
        const data = await graph.request<{ cancelAbandonedOrders: number }>(
          'mutation BatchAbandonedOrders($minutes: Int!) { cancelAbandonedOrders(olderThanMinutes: $minutes) }',
          { minutes: config.abandonedOrderMinutes },
        );
        return { cancelled: data.cancelAbandonedOrders };
      },
    },
    {
      name: 'message-archive',
      description: `chat: moves messages older than ${config.messageArchiveAfterDays} days out of room histories into the archive.`,
      schedule: schedule('message-archive', '0 4 * * *'),
      run: async () => {
        const data = await graph.request<{ archiveOldMessages: number }>(
          'mutation BatchMessageArchive($days: Int!) { archiveOldMessages(olderThanDays: $days) }',
          { days: config.messageArchiveAfterDays },
        );
        return { archived: data.archiveOldMessages };
      },
    },
    {
      name: 'daily-report',
      description: "batch: yesterday's activity (new and active users, messages, orders, revenue), from the events it consumed.",
      schedule: schedule('daily-report', '5 0 * * *'),
      run: async () => ({ ...(await dailyReport(em(), localDate(config.timeZone, 1), config.timeZone)) }),
    },
  ];
}

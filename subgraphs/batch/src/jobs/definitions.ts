import type { EntityManager } from '@mikro-orm/postgresql';
import type { BatchConfig, JobName } from '../config';
import { dailyReport, localDate } from '../reports';
import type { JobDefinition } from './engine';
import type { ServiceClient } from './serviceClient';

/** Each job changes only its owner's data, through the owner's maintenance mutation on the router. */
export function jobDefinitions(config: BatchConfig, graph: ServiceClient, em: () => EntityManager): JobDefinition[] {
  const schedule = (name: JobName, fallback: string) => config.schedules[name] ?? fallback;
  /** A job that is one maintenance mutation answering a count; the result names what was counted. */
  const maintenance = (operation: string, variables: Record<string, unknown>, resultKey: string) => async () => {
    const data = await graph.request<Record<string, number>>(operation, variables);
    return { [resultKey]: Object.values(data)[0] };
  };
  return [
    {
      name: 'session-cleanup',
      description: 'auth: deletes sessions and refresh tokens that have expired, and expired reset codes.',
      schedule: schedule('session-cleanup', '0 3 * * *'),
      run: maintenance('mutation BatchSessionCleanup { purgeEndedSessions }', {}, 'sessionsRemoved'),
    },
    {
      name: 'dormant-accounts',
      description: `users: marks accounts without a sign-in for ${config.dormantAfterDays} days as dormant.`,
      schedule: schedule('dormant-accounts', '30 3 * * *'),
      run: maintenance('mutation BatchDormantAccounts($days: Int!) { markDormantUsers(inactiveDays: $days) }', { days: config.dormantAfterDays }, 'markedDormant'),
    },
    {
      name: 'abandoned-orders',
      description: `store: cancels orders left unpaid for ${config.abandonedOrderMinutes} minutes and releases their stock.`,
      schedule: schedule('abandoned-orders', '*/5 * * * *'),
      run: maintenance(
        'mutation BatchAbandonedOrders($minutes: Int!) { cancelAbandonedOrders(olderThanMinutes: $minutes) }',
        { minutes: config.abandonedOrderMinutes },
        'cancelled',
      ),
    },
    {
      name: 'message-archive',
      description: `chat: moves messages older than ${config.messageArchiveAfterDays} days out of room histories into the archive.`,
      schedule: schedule('message-archive', '0 4 * * *'),
      run: maintenance('mutation BatchMessageArchive($days: Int!) { archiveOldMessages(olderThanDays: $days) }', { days: config.messageArchiveAfterDays }, 'archived'),
    },
    {
      name: 'daily-report',
      description: "batch: yesterday's activity (new and active users, messages, orders, revenue), from the events it consumed.",
      schedule: schedule('daily-report', '5 0 * * *'),
      run: async () => ({ ...(await dailyReport(em(), localDate(config.timeZone, 1), config.timeZone)) }),
    },
  ];
}

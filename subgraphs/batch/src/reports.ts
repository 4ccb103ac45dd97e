import type { EntityManager } from '@mikro-orm/postgresql';
import type { EventHandlers } from '@dorandoran/service-kit';
import { ReportFact } from './entities/ReportFact.entity';

/** What the daily report counts, from the events batch consumes (each event kept once, as a fact). */
export const reportHandlers: EventHandlers = {
  'user.registered': (event, em) => keep(em, event.id, event.type, event.data.userId, null, event.occurredAt),
  'auth.logged_in': (event, em) => keep(em, event.id, event.type, event.data.userId, null, event.occurredAt),
  'chat.message_sent': (event, em) => keep(em, event.id, event.type, event.data.senderId, null, event.occurredAt),
  'order.placed': (event, em) => keep(em, event.id, event.type, event.data.buyerId, event.data.total.amount, event.occurredAt),
  'order.paid': (event, em) => keep(em, event.id, event.type, event.data.buyerId, event.data.amount.amount, event.occurredAt),
};

async function keep(em: EntityManager, eventId: string, kind: string, userId: string, amount: number | null, occurredAt: string) {
  em.persist(new ReportFact(eventId, kind, userId, amount, new Date(occurredAt)));
  await em.flush();
}

export interface DailyReport {
  date: string;
  newUsers: number;
  activeUsers: number;
  messagesSent: number;
  ordersPlaced: number;
  ordersPaid: number;
  revenue: { amount: number; currency: 'KRW' };
}

/** One day (`YYYY-MM-DD`, midnight to midnight in `timeZone`) counted from the facts. */
export async function dailyReport(em: EntityManager, date: string, timeZone: string): Promise<DailyReport> {
  const [row] = await em.execute<Record<string, string | number>[]>(
    `select
       count(*) filter (where kind = 'user.registered') as new_users,
       count(distinct user_id) as active_users,
       count(*) filter (where kind = 'chat.message_sent') as messages_sent,
       count(*) filter (where kind = 'order.placed') as orders_placed,
       count(*) filter (where kind = 'order.paid') as orders_paid,
       coalesce(sum(amount) filter (where kind = 'order.paid'), 0) as revenue
     from report_facts
     where occurred_at >= (?::date)::timestamp at time zone ? and occurred_at < (?::date + 1)::timestamp at time zone ?`,
    [date, timeZone, date, timeZone],
  );
  return {
    date,
    newUsers: Number(row.new_users),
    activeUsers: Number(row.active_users),
    messagesSent: Number(row.messages_sent),
    ordersPlaced: Number(row.orders_placed),
    ordersPaid: Number(row.orders_paid),
    revenue: { amount: Number(row.revenue), currency: 'KRW' },
  };
}

/** Today's date in `timeZone`, `YYYY-MM-DD`; `daysBack` days earlier when given. */
export function localDate(timeZone: string, daysBack = 0, now = new Date()): string {
  const day = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  if (daysBack === 0) return day;
  const shifted = new Date(`${day}T00:00:00Z`);
  shifted.setUTCDate(shifted.getUTCDate() - daysBack);
  return shifted.toISOString().slice(0, 10);
}

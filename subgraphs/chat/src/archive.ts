import type { EntityManager } from '@mikro-orm/postgresql';
import { badUserInput } from '@dorandoran/service-kit';

const BATCH = 1000;

/**
 * The message-archive job: messages older than `olderThanDays` move to chat_messages_archive, a
 * thousand per transaction so the hot table is never locked for long. Answers how many moved.
 */
export async function archiveOldMessages(em: EntityManager, olderThanDays: number): Promise<number> {
  if (!Number.isInteger(olderThanDays) || olderThanDays < 1 || olderThanDays > 36500) {
    throw badUserInput('olderThanDays', 'olderThanDays must be a whole number of days from 1 to 36500.');
  }
  const cutoff = new Date(Date.now() - olderThanDays * 24 * 3600_000);
  let moved = 0;
  for (;;) {
    const rows = await em.fork().transactional((tx) =>
      tx.execute<{ id: string }[]>(
        `with moved as (
           delete from chat_messages where id in (select id from chat_messages where created_at < ? order by id limit ${BATCH} for update skip locked)
           returning id, room_id, sender_id, seq, text, client_message_id, created_at
         )
         insert into chat_messages_archive (id, room_id, sender_id, seq, text, client_message_id, created_at)
         select id, room_id, sender_id, seq, text, client_message_id, created_at from moved
         returning id`,
        [cutoff],
      ),
    );
    moved += rows.length;
    if (rows.length < BATCH) return moved;
  }
}

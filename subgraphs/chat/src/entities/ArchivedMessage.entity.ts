import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A message moved out of the hot table by the message-archive job: kept as it was, no longer
 * served in a room's history.
 */
@Entity({ tableName: 'chat_messages_archive' })
@Index({ properties: ['roomId', 'seq'] })
export class ArchivedMessage {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'uuid' })
  roomId!: string;

  @Property({ type: 'uuid' })
  senderId!: string;

  @Property({ type: 'integer' })
  seq!: number;

  @Property({ type: 'text' })
  text!: string;

  @Property({ type: 'string', length: 100 })
  clientMessageId!: string;

  @Property({ type: 'datetime' })
  createdAt!: Date;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  archivedAt: Date = new Date();
}

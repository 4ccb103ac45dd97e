import { Entity, ManyToOne, Property, ref, Unique, type Ref } from '@mikro-orm/core';
import { BaseEntity } from '@dorandoran/service-kit';
import { ChatRoom } from './ChatRoom.entity';

/** A message. `seq` orders a room's messages; (room, sender, clientMessageId) makes a retried send idempotent. */
@Entity({ tableName: 'chat_messages' })
@Unique({ properties: ['room', 'seq'] })
@Unique({ properties: ['room', 'senderId', 'clientMessageId'] })
export class Message extends BaseEntity {
  @ManyToOne({ entity: () => ChatRoom, ref: true })
  room: Ref<ChatRoom>;

  @Property({ type: 'uuid' })
  senderId: string;

  @Property({ type: 'integer' })
  seq: number;

  @Property({ type: 'text' })
  text: string;

  @Property({ type: 'string', length: 100 })
  clientMessageId: string;

  constructor(room: ChatRoom, senderId: string, seq: number, text: string, clientMessageId: string) {
    super();
    this.room = ref(room);
    this.senderId = senderId;
    this.seq = seq;
    this.text = text;
    this.clientMessageId = clientMessageId;
  }

  get roomId(): string {
    return this.room.id;
  }
}

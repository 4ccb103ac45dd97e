import { Entity, Index, ManyToOne, Property, ref, Unique, type Ref } from '@mikro-orm/core';
import { BaseEntity } from '@dorandoran/service-kit';
import { ChatRoom } from './ChatRoom.entity';

/**
 * A user's membership of a room and their read mark. Leaving sets leftAt instead of deleting the
 * row, so that a DIRECT room reopened by the one who left keeps their read mark.
 */
@Entity({ tableName: 'chat_members' })
@Unique({ properties: ['room', 'userId'] })
export class ChatMember extends BaseEntity<'lastReadSeq' | 'leftAt'> {
  @ManyToOne({ entity: () => ChatRoom, ref: true })
  room: Ref<ChatRoom>;

  /** The member's user id (users owns the profile). */
  @Index()
  @Property({ type: 'uuid' })
  userId: string;

  /** The sequence number of the newest message the member has read; 0 before any. */
  @Property({ type: 'integer', default: 0 })
  lastReadSeq: number = 0;

  @Property({ type: 'datetime', nullable: true })
  leftAt: Date | null = null;

  constructor(room: ChatRoom, userId: string) {
    super();
    this.room = ref(room);
    this.userId = userId;
  }
}

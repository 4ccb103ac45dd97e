import { Collection, Entity, Enum, Index, OneToMany, Property } from '@mikro-orm/core';
import { BaseEntity } from '@dorandoran/service-kit';
import type { ChatRoomKind } from '../__generated__/resolvers-types';
import { ChatMember } from './ChatMember.entity';

export const CHAT_ROOM_KINDS = ['DIRECT', 'GROUP'] as const satisfies readonly ChatRoomKind[];

/** A conversation. Rooms are never deleted: messages stay even when every member has left. */
@Entity({ tableName: 'chat_rooms' })
@Index({ properties: ['lastActivityAt', 'id'] })
export class ChatRoom extends BaseEntity<'title' | 'directKey' | 'lastSeq' | 'lastActivityAt'> {
  @Enum({ items: () => CHAT_ROOM_KINDS, nativeEnumName: 'chat_room_kind' })
  kind: ChatRoomKind;

  @Property({ type: 'string', length: 100, nullable: true })
  title: string | null = null;

  /** DIRECT rooms only: the two member ids, sorted and joined, so one pair can never get a second room. */
  @Property({ type: 'string', length: 73, nullable: true, unique: true })
  directKey: string | null = null;

  @Property({ type: 'uuid' })
  createdBy: string;

  /** The sequence number of the newest message; the next message takes lastSeq + 1 under the row's lock. */
  @Property({ type: 'integer', default: 0 })
  lastSeq: number = 0;

  /** The last message's time, else the creation time: what the room lists are ordered by. */
  @Property({ type: 'datetime' })
  lastActivityAt: Date = this.createdAt;

  @OneToMany({ entity: () => ChatMember, mappedBy: 'room' })
  members = new Collection<ChatMember>(this);

  constructor(kind: ChatRoomKind, createdBy: string) {
    super();
    this.kind = kind;
    this.createdBy = createdBy;
  }
}

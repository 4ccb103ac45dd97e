import { eventEntities } from '@dorandoran/service-kit';
import { ArchivedMessage } from './ArchivedMessage.entity';
import { ChatMember } from './ChatMember.entity';
import { ChatRoom } from './ChatRoom.entity';
import { Message } from './Message.entity';

/** Every entity of this subgraph, listed explicitly for the ORM. */
export const entities = [ChatRoom, ChatMember, Message, ArchivedMessage, ...eventEntities];

import { DateTime } from '@dorandoran/service-kit';
import type { Resolvers } from '../__generated__/resolvers-types';
import { ChatRoom } from './ChatRoom';
import { ChatRoomConnection } from './ChatRoomConnection';
import { Message } from './Message';
import { MessageConnection } from './MessageConnection';
import { Mutation } from './Mutation';
import { Query } from './Query';
import { Subscription } from './Subscription';
import { User } from './User';

export const resolvers: Resolvers = {
  ChatRoom,
  ChatRoomConnection,
  DateTime,
  Message,
  MessageConnection,
  Mutation,
  Query,
  Subscription,
  User,
};

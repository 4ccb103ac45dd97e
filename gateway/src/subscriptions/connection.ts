import type { DocumentNode } from 'graphql';
import type WebSocket from 'ws';
import type { RemovedField } from '../authorization/filter';
import type { RouterContext } from '../context';
import type { SubscriptionPlan } from './federatedSubscription';

/** One client's graphql-ws connection, as the router keeps it. */
export interface Connection {
  context: RouterContext;
  socket: WebSocket;
  /** Bytes each subscription (by id) keeps alive of its subscribe message, from subscribe to complete. */
  held: Map<string, number>;
}

/** A subscribe the router accepted: what running it and answering its client need. */
export interface OperationState {
  /** The client's id for the subscription, in each of its messages. */
  id: string;
  connection: Connection;
  /** The operation as the client sent it, to put back the fields the auth directives removed. */
  document: DocumentNode;
  removed: RemovedField[];
  plan: SubscriptionPlan;
}

/** The close reason for 4403: the token is no longer good. */
export const SESSION_ENDED = 'Forbidden: the session ended or the token expired; sign in again';

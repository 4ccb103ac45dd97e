import { GraphQLError } from 'graphql';

/** Ids are echoed in every message of their subscription; graphql-ws clients make UUIDs (36 characters). */
export const MAX_SUBSCRIPTION_ID_LENGTH = 128;

export function tooManySubscriptions(limit: number): GraphQLError {
  return new GraphQLError(`A connection runs at most ${limit} subscriptions at once; complete one you no longer need before subscribing again.`, {
    extensions: { code: 'MAX_SUBSCRIPTIONS_EXCEEDED', limit },
  });
}

export function tooMuchSubscriptionText(limit: number): GraphQLError {
  return new GraphQLError(
    `The subscriptions of one connection hold at most ${limit} bytes of operation text and variables together; complete one or send a shorter operation.`,
    { extensions: { code: 'PAYLOAD_TOO_LARGE', limit } },
  );
}

/** What a running subscription keeps alive of its subscribe message: its text and variables. */
export function subscribeBytes(payload: { query: string; variables?: Record<string, unknown> | null }): number {
  return Buffer.byteLength(payload.query) + (payload.variables ? Buffer.byteLength(JSON.stringify(payload.variables)) : 0);
}

import type { createMemoryPubSub } from '@dorandoran/service-kit';
import type { TestSubgraph } from './router';

const TICKS = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@authenticated"])
type Query { ping: String }
type Subscription { ticked(room: ID!): Tick! @authenticated }
type Tick { id: ID!  by: Person! }
type Person @key(fields: "id", resolvable: false) { id: ID! }`;

/**
 * A subgraph whose `ticked(room:)` follows `room:<room>` on the test's pub/sub; a tick's `by` is a
 * Person for another subgraph of the test to resolve. `rooms`, when given, collects the rooms
 * subscribed to on the subgraph.
 */
export function ticksSubgraph(pubsub: ReturnType<typeof createMemoryPubSub>, rooms?: Set<string>): TestSubgraph {
  return {
    name: 'ticks',
    typeDefs: TICKS,
    subscriptions: true,
    resolvers: {
      Query: { ping: () => 'pong' },
      Subscription: {
        ticked: {
          subscribe: (_: unknown, { room }: { room: string }) => {
            rooms?.add(room);
            return pubsub.subscribe(`room:${room}`);
          },
          resolve: (tick: unknown) => tick,
        },
      },
      Tick: { by: (tick: { by: string }) => ({ id: tick.by }) },
    },
  };
}

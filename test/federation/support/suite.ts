/**
 * How a conformance case is written down: the same three helpers as graphql-hive's
 * federation-gateway-audit (createSubgraph, createTest, serve), so that its suites in ../suites stay
 * as upstream wrote them, and our own suites read the same way.
 */

export interface SubgraphDefinition {
  name: string;
  typeDefs: string;
  resolvers: unknown;
}

/** An error the answer must hold, in order: the path always, the message and code when given. */
export interface ExpectedError {
  path: readonly (string | number)[];
  message?: string;
  code?: string;
}

export interface Expected {
  data?: unknown;
  /**
   * `true`: at least one error, whatever it says (the audit's cases, whose messages are each
   * gateway's own); `false`: none; a list: exactly these; left out: not checked.
   */
  errors?: boolean | readonly ExpectedError[];
}

export interface Case {
  query: string;
  variables?: Record<string, unknown>;
  expected: Expected;
}

export interface Suite {
  id: string;
  subgraphs: readonly SubgraphDefinition[];
  /** Made anew for each gateway: a suite whose subgraphs keep state gives each run its own ids. */
  cases(): Case[];
}

export function createSubgraph(name: string, { typeDefs, resolvers }: { typeDefs: string; resolvers: unknown }): SubgraphDefinition {
  return { name, typeDefs, resolvers };
}

export function createTest(query: string, expected: Expected, variables?: Record<string, unknown>): Case {
  return { query, expected, variables };
}

export function serve(id: string, subgraphs: SubgraphDefinition[], cases: Case[] | (() => Case[])): Suite {
  return { id, subgraphs, cases: typeof cases === 'function' ? cases : () => cases };
}

/**
 * The audit's switch for subgraphs that throw when a gateway fetches from them what a @provides
 * already gave it: off, as the audit publishes its results; PUNISH_FOR_POOR_PLANS=1 turns it on.
 */
export function shouldPunishForPoorPlans(): boolean {
  return process.env.PUNISH_FOR_POOR_PLANS === '1';
}

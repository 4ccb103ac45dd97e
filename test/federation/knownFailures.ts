import type { GatewayName } from './support/gateways';

const REQUIRES_WITH_ARGUMENTS = 'issue 19, class 1: the @requires selection is merged with the client’s, arguments and all';
const NON_RESOLVABLE_KEYS = 'issue 19, class 2: planned through a key the next subgraph cannot resolve';
const NON_RESOLVABLE_INTERFACE_OBJECT = 'issue 19, class 3: a field no subgraph can reach comes back null without an error';

/**
 * Stock is @apollo/gateway as published; ours runs it with patches/ applied, which fix all three.
 * Cases a gateway gets wrong today, by `<suite id> #<case index>`, and why. Their tests run as
 * `it.failing`: the run stays green while they fail and goes red the day one passes, so that this
 * list is kept true.
 */
export const KNOWN_FAILURES: Record<GatewayName, Readonly<Record<string, string>>> = {
  ours: {},
  stock: {
    'keys-mashup #0': NON_RESOLVABLE_KEYS,
    'non-resolvable-interface-object #1': NON_RESOLVABLE_INTERFACE_OBJECT,
    'requires-with-argument #2': REQUIRES_WITH_ARGUMENTS,
    'requires-with-argument #3': REQUIRES_WITH_ARGUMENTS,
    'requires-with-argument #4': REQUIRES_WITH_ARGUMENTS,
    'requires-with-argument-conflict #0': REQUIRES_WITH_ARGUMENTS,
    'requires-with-argument-values #0': REQUIRES_WITH_ARGUMENTS,
    'requires-with-argument-values #1': REQUIRES_WITH_ARGUMENTS,
    'requires-with-argument-values #4': REQUIRES_WITH_ARGUMENTS,
  },
};

/**
 * The federation conformance suites (suites/, README.md) through our router and through stock
 * @apollo/gateway, each suite's supergraph composed once for both. A case either gateway is known
 * to get wrong is `it.failing`, named with the reason (knownFailures.ts).
 */
import { KNOWN_FAILURES } from './knownFailures';
import { comparable } from './support/compare';
import { startGateway, startSubgraphHost, type GatewayName, type RunningGateway, type SubgraphHost } from './support/gateways';
import { SUITES } from './suites';

let host: SubgraphHost;
beforeAll(async () => {
  host = await startSubgraphHost(SUITES);
});
afterAll(() => host.close());

describe.each(SUITES)('$id', (suite) => {
  let supergraph: string;
  beforeAll(() => {
    supergraph = host.supergraphOf(suite);
  });

  describe.each(['ours', 'stock'] as GatewayName[])('%s', (name) => {
    let gateway: RunningGateway;
    beforeAll(async () => {
      gateway = await startGateway(name, supergraph);
    });
    afterAll(() => gateway.close());

    for (const [index, { query, variables, expected }] of suite.cases().entries()) {
      const known = KNOWN_FAILURES[name][`${suite.id} #${index}`];
      const test = known ? it.failing : it;
      test(`#${index}${known ? ` (known failure: ${known})` : ''}`, async () => {
        const { received, expected: wanted } = comparable(await gateway.execute(query, variables), expected);
        expect(received).toEqual(wanted);
      });
    }
  });
});

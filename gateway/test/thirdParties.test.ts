import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { startTestRouter } from './helpers/router';

const GREETINGS = {
  name: 'greetings',
  typeDefs: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
type Query { hello: String }`,
  resolvers: { Query: { hello: () => 'hello' } },
};

/** Where this process sends HTTP requests (node:http and fetch) while `run` runs, and a little after. */
async function hostsContacted(run: () => Promise<void>): Promise<string[]> {
  const hosts: string[] = [];
  const onHttp = (message: unknown) => {
    const { request } = message as { request: ClientRequest };
    hosts.push(`${request.host}`);
  };
  const onFetch = (message: unknown) => {
    const { request } = message as { request: { origin: string } };
    hosts.push(new URL(request.origin).hostname);
  };
  subscribe('http.client.request.start', onHttp);
  subscribe('undici:request:create', onFetch);
  try {
    await run();
    // The cloud-metadata probes of Apollo's usage reporting start on timers after the gateway is made.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  } finally {
    unsubscribe('http.client.request.start', onHttp);
    unsubscribe('undici:request:create', onFetch);
  }
  return [...new Set(hosts)];
}

test("the router sends nothing to a third party: starting, answering and stopping reach only its own subgraphs", async () => {
  const hosts = await hostsContacted(async () => {
    const router = await startTestRouter([GREETINGS]);
    try {
      expect((await router.execute('{ hello }')).data).toEqual({ hello: 'hello' });
    } finally {
      await router.dispose();
    }
  });
  expect(hosts.length).toBeGreaterThan(0);
  expect(hosts.filter((host) => host !== '127.0.0.1' && host !== 'localhost')).toEqual([]);
});

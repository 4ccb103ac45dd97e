/**
 * `npm run bench:me`: latency of `{ me { id nickname } }` through the router (every protection on:
 * rate limits in Redis when set, operation limits, breakers), through a second router with rate
 * limits off, and straight to the users subgraph, on the same running stack. Calls alternate
 * between the paths in rounds of 50, so all see the same machine state. Uses DATABASE_URL/REDIS_URL
 * when set, embedded defaults otherwise.
 */
import { performance } from 'node:perf_hooks';
import { startStack } from '@dorandoran/test-support/stack';
import { signUp } from '@dorandoran/test-support/users';

const CALLS = Number(process.env.BENCH_CALLS ?? 1000);
const ROUND = 50;
const QUERY = JSON.stringify({ query: '{ me { id nickname } }' });

async function timeCall(url: string, headers: Record<string, string>): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: QUERY });
  const body = (await response.json()) as { data?: { me?: { id: string } } };
  const elapsed = performance.now() - started;
  if (!body.data?.me?.id) throw new Error(`unexpected answer: ${JSON.stringify(body)}`);
  return elapsed;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), min: sorted[0] };
}

async function main() {
  const stack = await startStack();
  try {
    const user = await signUp(stack, { nickname: 'Bench' });
    const unlimited = await stack.startRouter({ RATE_LIMITS: 'false' });
    const paths = { router: stack.routerUrl, unlimited: unlimited.url, users: stack.usersUrl } as const;
    const samples: Record<keyof typeof paths, number[]> = { router: [], unlimited: [], users: [] };
    for (let i = 0; i < 100; i++) for (const url of Object.values(paths)) await timeCall(url, user.headers); // warm-up
    for (let done = 0; done < CALLS; done += ROUND) {
      for (const name of Object.keys(paths) as (keyof typeof paths)[]) {
        for (let i = 0; i < ROUND; i++) samples[name].push(await timeCall(paths[name], user.headers));
      }
    }
    const router = summary(samples.router);
    const unlimitedRouter = summary(samples.unlimited);
    const users = summary(samples.users);
    const fmt = (n: number) => n.toFixed(2).padStart(7);
    console.log(`me latency, ${CALLS} sequential calls each (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}, ${process.env.REDIS_URL ? 'Redis' : 'in-process'})`);
    console.log('path                 median     p90     p99     min   (ms)');
    console.log(`router → users     ${fmt(router.median)} ${fmt(router.p90)} ${fmt(router.p99)} ${fmt(router.min)}`);
    console.log(`  rate limits off  ${fmt(unlimitedRouter.median)} ${fmt(unlimitedRouter.p90)} ${fmt(unlimitedRouter.p99)} ${fmt(unlimitedRouter.min)}`);
    console.log(`users subgraph       ${fmt(users.median)} ${fmt(users.p90)} ${fmt(users.p99)} ${fmt(users.min)}`);
    console.log(`router / direct median ratio: ${(router.median / users.median).toFixed(2)}x`);
    console.log(`rate limits on / off median ratio: ${(router.median / unlimitedRouter.median).toFixed(2)}x`);
  } finally {
    await stack.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

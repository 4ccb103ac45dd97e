/**
 * ops/prometheus/alerts.yml: Prometheus loads it (promtool check config), each alert fires on the
 * series its fault leaves and stays silent on healthy ones (promtool test rules, alerts.promtool.yml),
 * and every metric the rules read is one the services really serve: scraped from a real stack, where
 * a stopped Redis and a poison event move the series the alerts watch.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { parse } from 'yaml';
import { canRunRedisServer, startRedisServer, type RedisServer } from '@dorandoran/test-support/redisServer';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { eventually } from '@dorandoran/test-support/ws';

const ROOT = path.resolve(__dirname, '..', '..');
const PROMETHEUS_CONFIG = path.join(ROOT, 'ops', 'prometheus', 'prometheus.yml');
const RULES = path.join(ROOT, 'ops', 'prometheus', 'alerts.yml');
const RULE_TESTS = path.join(__dirname, 'alerts.promtool.yml');

const promtoolFound = !spawnSync('promtool', ['--version']).error;
if (!promtoolFound && !process.env.CI) console.warn('Skipping the promtool part of test/ops: promtool is not installed (apt-get install prometheus; CI installs it).');
const withPromtool = promtoolFound || process.env.CI ? describe : describe.skip;
// The stack runs on a redis-server of this file's own, which a test stops.
if (!canRunRedisServer && !process.env.CI) console.warn('Skipping the stack part of test/ops: no redis-server on this machine.');
const withRedisServer = canRunRedisServer || process.env.CI ? describe : describe.skip;

interface Rule {
  alert: string;
  expr: string;
}

const rules: Rule[] = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((group) => group.rules);

function promtool(...args: string[]) {
  const result = spawnSync('promtool', args, { encoding: 'utf8', cwd: ROOT });
  if (result.error) throw new Error(`promtool is needed (apt-get install prometheus): ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Keywords and the label lists of by/without/on/ignoring/group_*: what is left are metric names and functions. */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'offset', 'bool']);

/** The metric names a PromQL expression reads. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of bare.matchAll(/(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const isFunction = bare.slice(match.index! + match[0].length).trimStart().startsWith('(');
    if (!isFunction && !KEYWORDS.has(match[0])) names.add(match[0]);
  }
  return [...names];
}

/** The sample names a /metrics text can carry: each family's name, and a histogram's _bucket, _sum and _count. */
function servedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

/** The value of the one sample `name{labels}` (labels given must match; others may be there), undefined without one. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const matching = text.split('\n').filter((line) => {
    const parsed = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!parsed || parsed[1] !== name) return false;
    const given = Object.fromEntries([...(parsed[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k, v]));
    return Object.entries(labels).every(([k, v]) => given[k] === v);
  });
  if (matching.length > 1) throw new Error(`${matching.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matching.length === 0 ? undefined : Number(matching[0].split(' ').pop());
}

describe('the rules file', () => {
  test('names at least one metric in every alert (the extraction the stack test relies on)', () => {
    expect(rules.map((rule) => rule.alert).sort()).toEqual(
      ['BatchJobFailed', 'CircuitBreakerOpen', 'EventsDeadLettered', 'HighErrorRate', 'HighLatencyP99', 'OutboxLag', 'PostgresUnreachable', 'RedisUnreachable', 'ServiceDown'].sort(),
    );
    expect(metricNames('sum by (service) (rate(graphql_errors_total{code=~"A|B"}[5m])) / sum by (service) (rate(x_count[5m])) > 0.05')).toEqual(['graphql_errors_total', 'x_count']);
    for (const rule of rules) expect({ alert: rule.alert, names: metricNames(rule.expr).length > 0 }).toEqual({ alert: rule.alert, names: true });
  });
});

withPromtool('promtool', () => {
  test('prometheus.yml is a valid configuration and loads alerts.yml with its nine rules', () => {
    const { status, output } = promtool('check', 'config', PROMETHEUS_CONFIG);
    expect({ status, output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS: 9 rules found') });
    expect(output).toContain('alerts.yml');
  });

  test('every alert fires on the series its fault leaves, with its labels and text, and not on healthy ones', () => {
    const { status, output } = promtool('test', 'rules', RULE_TESTS);
    expect({ status, output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });
});

withRedisServer('the series the alerts read, on a real stack', () => {
  let redis: RedisServer;
  let stack: Stack;
  const scrape = async (graphqlUrl: string) => {
    const response = await fetch(graphqlUrl.replace(/\/graphql$/, '/metrics'));
    expect(response.status).toBe(200);
    return response.text();
  };
  const urls = () => ({ router: stack.routerUrl, auth: stack.authUrl, users: stack.usersUrl, chat: stack.chatUrl, store: stack.storeUrl, batch: stack.batchUrl });
  const SUBGRAPHS = ['auth', 'users', 'chat', 'store', 'batch'] as const;

  beforeAll(async () => {
    redis = await startRedisServer();
    stack = await startStack({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await stack?.close();
    await redis?.stop();
  });

  test('every metric an alert reads is served by a service (Prometheus adds only `up`)', async () => {
    const served = new Set<string>(['up']);
    for (const url of Object.values(urls())) for (const name of servedNames(await scrape(url))) served.add(name);
    const missing = rules.flatMap((rule) => metricNames(rule.expr).filter((name) => !served.has(name)).map((name) => `${rule.alert}: ${name}`));
    expect(missing).toEqual([]);
  });

  test('healthy: database and Redis up on every subgraph, Redis and the supergraph on the router, outboxes empty, no dead letters', async () => {
    for (const service of SUBGRAPHS) {
      const text = await scrape(urls()[service]);
      expect({
        service,
        database: sample(text, 'readiness_check_up', { check: 'database', service }),
        redis: sample(text, 'readiness_check_up', { check: 'redis', service }),
        unpublished: sample(text, 'outbox_unpublished_events', { service }),
        deadLetters: sample(text, 'event_dead_letters_total', { service }),
      }).toEqual({ service, database: 1, redis: 1, unpublished: expect.any(Number), deadLetters: 0 });
      expect(sample(text, 'outbox_oldest_unpublished_age_seconds', { service })).toBeLessThan(60);
    }
    const router = await scrape(stack.routerUrl);
    expect([sample(router, 'readiness_check_up', { check: 'redis' }), sample(router, 'readiness_check_up', { check: 'supergraph' })]).toEqual([1, 1]);
    expect(await scrape(stack.batchUrl)).toContain('\n# TYPE batch_job_runs_total counter\n');
  });

  test('an event no consumer can read is dead-lettered and counted by the service that consumed it', async () => {
    // The stack's streams are the only ones on this Redis; store consumes user.deleted.
    const client = new Redis(redis.url);
    try {
      const [stream] = await client.keys('*:user.deleted');
      expect(stream).toBeDefined();
      const before = sample(await scrape(stack.storeUrl), 'event_dead_letters_total', { service: 'store' });
      await client.xadd(stream, '*', 'event', JSON.stringify({ id: '0190a0a0-0000-7000-8000-000000000000', type: 'user.deleted', version: 999, producer: 'test', subject: 'x', occurredAt: new Date().toISOString(), data: {} }));
      await eventually(async () => sample(await scrape(stack.storeUrl), 'event_dead_letters_total', { service: 'store' }) === before! + 1, 'store counts the dead letter', 15_000);
    } finally {
      client.disconnect();
    }
  });

  test('with Redis stopped, readiness_check_up{check="redis"} reads 0 on the router and every subgraph (the database stays 1), and 1 once it is back', async () => {
    const redisUp = async () => Object.fromEntries(await Promise.all(Object.entries(urls()).map(async ([service, url]) => [service, sample(await scrape(url), 'readiness_check_up', { check: 'redis' })])));
    await redis.stop();
    try {
      expect(await redisUp()).toEqual({ router: 0, auth: 0, users: 0, chat: 0, store: 0, batch: 0 });
      expect(sample(await scrape(stack.chatUrl), 'readiness_check_up', { check: 'database' })).toBe(1);
    } finally {
      await redis.start();
    }
    await eventually(async () => Object.values(await redisUp()).every((up) => up === 1), 'every service reaches Redis again', 20_000);
    expect(await redisUp()).toEqual({ router: 1, auth: 1, users: 1, chat: 1, store: 1, batch: 1 });
  });
});

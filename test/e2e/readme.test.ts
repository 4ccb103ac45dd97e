/**
 * The README's examples, run as written against a started stack: its shell walk-through (curl) in
 * order in one bash, its GraphQL operations against the graph. When the README and the graph drift
 * apart, this fails.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Supergraph } from '@apollo/federation-internals';
import { parse, validate } from 'graphql';
import { post } from '@dorandoran/test-support/graphql';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { signUpAdmin } from '@dorandoran/test-support/users';

const ROOT = path.resolve(__dirname, '..', '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const README_ORIGIN = 'http://localhost:8080';

/** The fenced blocks of one language, in the order the README has them. */
const blocks = (language: string) => [...README.matchAll(new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((match) => match[1]);

/** The shell blocks that talk to the graph (not, say, the docker compose command). */
const walkThrough = blocks('sh').filter((block) => block.includes(`${README_ORIGIN}/graphql`));

/** One operation a line, as the README lists them; `#` starts a comment. */
const operations = blocks('graphql').flatMap((block) =>
  block
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter(Boolean),
);

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ SAMPLE_CATALOG: 'true' });
});

afterAll(async () => {
  await stack?.close();
});

test('the README has a shell walk-through and GraphQL operations to check', () => {
  expect(walkThrough.length).toBeGreaterThanOrEqual(5);
  expect(operations.length).toBeGreaterThanOrEqual(7);
});

test('the curl walk-through runs in order as written: sign up, me, log in, a refused mutation, an order placed and paid', async () => {
  const origin = new URL(stack.routerUrl).origin;
  const script = [
    'set -euo pipefail',
    ...walkThrough.map((block, index) => `printf '\\n@@block ${index}\\n'\n${block.replaceAll(README_ORIGIN, origin)}`),
  ].join('\n');
  const { stdout } = await promisify(execFile)('bash', ['-c', script], { cwd: ROOT, timeout: 60_000, env: { PATH: process.env.PATH ?? '' } });
  const outputs = stdout.split(/^@@block \d+$/m).slice(1).map((output) => output.trim());
  expect(outputs).toHaveLength(walkThrough.length);
  // Every block either keeps what it read in variables (no output) or prints one answer.
  const answers = outputs.filter(Boolean).map((output) => JSON.parse(output));

  const me = answers.find((answer) => answer.data?.me);
  expect(me).toEqual({ data: { me: { id: expect.any(String), nickname: 'Mina', email: 'mina@example.com', roles: ['USER'] } } });

  const refused = answers.find((answer) => answer.errors?.[0]?.path?.[0] === 'shipOrder');
  expect(refused).toMatchObject({ data: null, errors: [{ extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }] });

  const paid = answers.find((answer) => answer.data?.payOrder);
  expect(paid.data.payOrder).toMatchObject({ status: 'PAID', payment: { status: 'APPROVED' } });
  expect(paid.data.payOrder.history).toEqual([
    { from: null, to: 'PENDING_PAYMENT', actorRole: 'BUYER', actor: { nickname: 'Mina' }, at: expect.any(String), reason: null },
    { from: 'PENDING_PAYMENT', to: 'PAID', actorRole: 'BUYER', actor: { nickname: 'Mina' }, at: expect.any(String), reason: null },
  ]);
  expect(answers.filter((answer) => answer.errors && answer !== refused)).toEqual([]);
});

test("the README's GraphQL operations are valid against the graph, and its queries and mutations answer an administrator without errors", async () => {
  const schema = Supergraph.build(readFileSync(path.join(ROOT, 'supergraph.graphql'), 'utf8'), { supportedFeatures: null }).apiSchema().toGraphQLJSSchema();
  const admin = await signUpAdmin(stack);
  for (const operation of operations) {
    expect({ operation, errors: validate(schema, parse(operation)).map((error) => error.message) }).toEqual({ operation, errors: [] });
    if (operation.startsWith('subscription')) continue;
    const response = await post(stack.routerUrl, operation, {}, admin.headers);
    expect({ operation, errors: response.errors }).toEqual({ operation, errors: undefined });
  }
});

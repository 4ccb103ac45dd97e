/**
 * .github/workflows/ci.yml, which cannot run here: GitHub's own workflow parser accepts it, and it keeps
 * what CI/CD must do: `bash .ci/run` on the Node versions the project supports, against PostgreSQL and
 * Redis service containers of the versions docker compose runs; the Docker image built (pushed from
 * main only); every kustomize overlay built (its script run here for real).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..');
const WORKFLOW = path.join(ROOT, '.github/workflows/ci.yml');

type Step = { name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; if?: string; 'working-directory'?: string };
type Job = {
  'runs-on': string;
  strategy?: { matrix: Record<string, unknown[]> };
  container?: { image: string };
  services?: Record<string, { image: string; env?: Record<string, string>; options?: string }>;
  env?: Record<string, string>;
  needs?: string | string[];
  permissions?: Record<string, string>;
  steps: Step[];
};
const workflow = parse(readFileSync(WORKFLOW, 'utf8')) as { on: Record<string, unknown>; permissions: Record<string, string>; jobs: Record<string, Job> };
const { test: testJob, image: imageJob, kustomize: kustomizeJob } = workflow.jobs;
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { image?: string }> };

const kubectlFound = !spawnSync('kubectl', ['version', '--client']).error;
if (!kubectlFound && !process.env.CI) console.warn('Skipping the overlay build of test/ci: kubectl is not installed.');
const withKubectl = kubectlFound || process.env.CI ? test : test.skip;

const major = (version: string) => Number(/(\d+)/.exec(version)![1]);

test("GitHub's workflow parser accepts the file (schema, expressions) and finds the three jobs", () => {
  const result = spawnSync(process.execPath, [path.join(__dirname, 'parseWorkflow.mjs'), WORKFLOW], { cwd: ROOT, encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(JSON.parse(result.stdout)).toEqual({ errors: [], jobs: ['test', 'image', 'kustomize'] });
});

test('runs on pushes to main and on pull requests, with read-only contents by default', () => {
  expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
  expect(workflow.on.push).toEqual({ branches: ['main'] });
  expect(workflow.permissions).toEqual({ contents: 'read' });
});

describe('the test job', () => {
  test('runs on Node 20 and Node 24: the oldest major `engines` allows and the one the image runs', () => {
    const nodes = testJob.strategy!.matrix.node as number[];
    expect(nodes).toEqual([20, 24]);
    expect(testJob.container!.image).toBe('node:${{ matrix.node }}-bookworm');
    const engines = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).engines.node as string;
    expect(Math.min(...nodes)).toBe(major(engines));
    const imageNode = /^FROM node:(\d+)-\S+$/m.exec(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))![1];
    expect(Math.max(...nodes)).toBe(Number(imageNode));
  });

  test('has PostgreSQL and Redis as health-checked services, of the versions docker compose runs, and points the tests at them', () => {
    expect(Object.keys(testJob.services!).sort()).toEqual(['postgres', 'redis']);
    expect(testJob.services!.postgres.image).toBe(compose.services.postgres.image);
    expect(testJob.services!.redis.image).toBe(compose.services.redis.image);
    expect(testJob.services!.postgres.options).toMatch(/--health-cmd "pg_isready/);
    expect(testJob.services!.redis.options).toMatch(/--health-cmd "redis-cli ping"/);
    // The tests connect as postgres without a password.
    expect(testJob.services!.postgres.env).toEqual({ POSTGRES_HOST_AUTH_METHOD: 'trust' });
    // A container job reaches its services by name.
    expect(new URL(testJob.env!.DATABASE_URL).host).toBe('postgres:5432');
    expect(new URL(testJob.env!.DATABASE_URL).username).toBe('postgres');
    expect(new URL(testJob.env!.REDIS_URL).host).toBe('redis:6379');
  });

  test('ends with `bash .ci/run`, which checks those URLs (not 127.0.0.1) before it would start servers of its own', () => {
    expect(testJob.steps.at(-1)!.run).toBe('bash .ci/run');
    const ciRun = readFileSync(path.join(ROOT, '.ci/run'), 'utf8');
    expect(ciRun).toContain('pg_isready -d "$DATABASE_URL"');
    expect(ciRun).toContain('redis-cli -u "$REDIS_URL" ping');
    expect(ciRun).not.toMatch(/(pg_isready|redis-cli) -h 127\.0\.0\.1/);
    // What .ci/run and the tests call that a node image lacks: pg_isready, redis-cli and redis-server, patch, kubectl.
    const installs = testJob.steps.map((step) => step.run ?? '').join('\n');
    for (const pkg of ['postgresql-client', 'redis-server', 'patch']) expect(installs).toMatch(new RegExp(`apt-get install [^\\n]*\\b${pkg}\\b`));
    expect(testJob.steps.some((step) => step.uses?.startsWith('azure/setup-kubectl@'))).toBe(true);
  });
});

test('the image job builds the repository Dockerfile and pushes only from main, the only job allowed to write packages', () => {
  const build = imageJob.steps.find((step) => step.uses?.startsWith('docker/build-push-action@'))!;
  expect(build.with).toMatchObject({ context: '.' });
  expect(existsSync(path.join(ROOT, 'Dockerfile'))).toBe(true);
  const pushing = imageJob.steps.filter((step) => /docker push|docker\/login-action/.test(`${step.run ?? ''} ${step.uses ?? ''}`));
  expect(pushing.length).toBe(2);
  for (const step of pushing) expect(step.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");
  expect(imageJob.permissions).toEqual({ contents: 'read', packages: 'write' });
  expect(Object.entries(workflow.jobs).filter(([, job]) => job.permissions?.packages === 'write').map(([name]) => name)).toEqual(['image']);
});

withKubectl("the kustomize job's script builds every overlay, production at the image it was given", () => {
  const step = kustomizeJob.steps.find((candidate) => candidate.name === 'Build every overlay')!;
  const overlays = readdirSync(path.join(ROOT, 'deploy/kubernetes/overlays')).sort();
  const production = parse(readFileSync(path.join(ROOT, 'deploy/kubernetes/overlays/production/kustomization.yaml'), 'utf8')).images[0];
  // In CI the step before set this image with `kustomize edit set image`; here the overlay's own stands in.
  const image = `${production.newName}:${production.newTag}`;
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'dorandoran-ci-'));
  try {
    symlinkSync(path.join(ROOT, 'deploy'), path.join(workspace, 'deploy'));
    // stdin closed, as on a runner: bash given a socket there (a remote shell's) reads the system bashrc first.
    const result = spawnSync('bash', ['-euo', 'pipefail', '-c', step.run!], { cwd: workspace, env: { ...process.env, IMAGE: image }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(readdirSync(path.join(workspace, 'manifests')).sort()).toEqual(overlays.map((overlay) => `${overlay}.yaml`));
    for (const overlay of overlays) expect(result.stdout).toMatch(new RegExp(`^${overlay}: \\d+ objects$`, 'm'));
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
  expect(kustomizeJob.steps.find((candidate) => candidate.name === 'Point production at this commit\'s image')).toMatchObject({
    'working-directory': 'deploy/kubernetes/overlays/production',
    run: 'kustomize edit set image "dorandoran/supergraph=$IMAGE"',
  });
  expect(kustomizeJob.env).toEqual({ IMAGE: '${{ needs.image.outputs.image }}' });
});

test('every action is pinned to a release (a major version tag at least)', () => {
  const uses = Object.values(workflow.jobs).flatMap((job) => job.steps.map((step) => step.uses).filter((value): value is string => Boolean(value)));
  expect(uses.length).toBeGreaterThan(0);
  for (const action of uses) expect(action).toMatch(/^[\w-]+\/[\w-]+@v\d+(\.\d+)*$/);
});

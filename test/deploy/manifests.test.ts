/**
 * deploy/kubernetes: every overlay builds with `kubectl kustomize`, every object is valid against the
 * Kubernetes schemas (kubernetes-models' validators, and their TypeScript types for fields that do not
 * exist), and the installation keeps its invariants: probes at the paths and ports the services serve,
 * resources, no secret values, only the router reaching the subgraphs, one migration path.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ENTRY_POINTS } from '../../scripts/build';
import { loadRouterConfig } from '@dorandoran/gateway/config';
import { loadAuthConfig } from '@dorandoran/auth/config';
import { loadUsersConfig } from '@dorandoran/users/config';
import { loadChatConfig } from '@dorandoran/chat/config';
import { loadStoreConfig } from '@dorandoran/store/config';
import { loadBatchConfig } from '@dorandoran/batch/config';

const ROOT = path.resolve(__dirname, '..', '..');
const KUBERNETES = path.join(ROOT, 'deploy', 'kubernetes');
const OVERLAYS = readdirSync(path.join(KUBERNETES, 'overlays')).sort();

const kubectlFound = !spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).error;
if (!kubectlFound && !process.env.CI) console.warn('Skipping test/deploy: kubectl is not installed (it builds the kustomize overlays).');
const withKubectl = kubectlFound || process.env.CI ? describe : describe.skip;

/** An object as kubectl prints it; specs are read as the API defines them. */
type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: any; data?: Record<string, string> };

const SUBGRAPHS = ['auth', 'users', 'chat', 'store', 'batch'] as const;
const SERVICES = ['router', ...SUBGRAPHS] as const;
const IMAGE = /(^|\/)dorandoran\/supergraph:/;

/** The port each service listens on, as its config reads it without overrides. */
const SERVICE_PORTS: Record<(typeof SERVICES)[number], number> = {
  router: loadRouterConfig({}).port,
  auth: loadAuthConfig({}).port,
  users: loadUsersConfig({}).port,
  chat: loadChatConfig({}).port,
  store: loadStoreConfig({}).port,
  batch: loadBatchConfig({}).port,
};

/** Who may connect to each subgraph: the router, and the services that call it directly (docs/ARCHITECTURE.md). */
const ALLOWED_CALLERS: Record<(typeof SUBGRAPHS)[number], string[]> = {
  auth: ['batch', 'chat', 'router', 'store', 'users'],
  users: ['auth', 'chat', 'router'],
  chat: ['router'],
  store: ['router'],
  batch: ['router'],
};

const BUILT_ENTRIES = ENTRY_POINTS.map((entry) => `dist/${entry.replace(/\.ts$/, '.js')}`);

function build(overlay: string): KubeObject[] {
  const result = spawnSync('kubectl', ['kustomize', path.join(KUBERNETES, 'overlays', overlay)], { encoding: 'utf8' });
  if (result.error) throw new Error(`kubectl is needed to build the overlays (CI runs this test): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`kubectl kustomize overlays/${overlay} failed:\n${result.stderr}`);
  return parseAllDocuments(result.stdout).map((document) => document.toJSON() as KubeObject);
}

const podSpecs = (objects: KubeObject[]) =>
  objects.filter((object) => ['Deployment', 'StatefulSet'].includes(object.kind)).map((object) => ({ object, pod: object.spec.template.spec }));

function filesUnder(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const file = path.join(folder, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

withKubectl('the Kubernetes manifests', () => {
  const built = new Map<string, KubeObject[]>();

  beforeAll(() => {
    for (const overlay of OVERLAYS) built.set(overlay, build(overlay));
  });

  it('has a local and a production overlay, and both build', () => {
    expect(OVERLAYS).toEqual(['local', 'production']);
    for (const overlay of OVERLAYS) expect(built.get(overlay)!.length).toBeGreaterThan(20);
  });

  it('validates every object against the Kubernetes schemas', () => {
    const objects = OVERLAYS.flatMap((overlay) => built.get(overlay)!);
    const validation = spawnSync(process.execPath, [path.join(__dirname, 'validateObjects.mjs')], { cwd: ROOT, input: JSON.stringify(objects), encoding: 'utf8' });
    expect(validation.stderr).toBe('');
    const results = validation.stdout.trim().split('\n');
    expect(results).toHaveLength(objects.length);
    expect(results.filter((line) => !line.endsWith(': ok'))).toEqual([]);
  });

  it('uses no field the Kubernetes API does not know (checked against its types, as the API server would refuse them)', () => {
    // Under node_modules so that the generated module resolves kubernetes-models like the sources do.
    const folder = mkdtempSync(path.join(ROOT, 'node_modules', '.cache-dorandoran-manifests-'));
    try {
      const imports = new Set<string>();
      const declarations: string[] = [];
      OVERLAYS.forEach((overlay) =>
        built.get(overlay)!.forEach((object, index) => {
          const group = object.apiVersion.includes('/') ? object.apiVersion : 'v1';
          imports.add(`import type { I${object.kind} } from 'kubernetes-models/${group}/${object.kind}';`);
          declarations.push(`export const ${overlay}${index}: I${object.kind} = ${JSON.stringify(object)};`);
        }),
      );
      writeFileSync(path.join(folder, 'objects.ts'), [...imports, ...declarations].join('\n'));
      const tsc = spawnSync(
        process.execPath,
        [require.resolve('typescript/bin/tsc'), '--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', path.join(folder, 'objects.ts')],
        { cwd: ROOT, encoding: 'utf8' },
      );
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.status).toBe(0);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('probes every container, the services at /ready and /health on the port their config listens on, and sets resources', () => {
    for (const overlay of OVERLAYS) {
      const objects = built.get(overlay)!;
      for (const { object, pod } of podSpecs(objects)) {
        for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
          const where = `${overlay} ${object.kind}/${object.metadata.name} ${container.name}`;
          const { requests, limits } = container.resources ?? {};
          expect([where, requests?.cpu && requests?.memory && limits?.memory ? 'set' : container.resources]).toEqual([where, 'set']);
        }
        for (const container of pod.containers) {
          const where = `${overlay} ${object.kind}/${object.metadata.name}`;
          expect([where, Boolean(container.readinessProbe && container.livenessProbe)]).toEqual([where, true]);
          if (!IMAGE.test(container.image)) continue;
          const service = object.metadata.name as (typeof SERVICES)[number];
          const http = container.ports.find((port: { name: string }) => port.name === 'http');
          expect([where, http?.containerPort]).toEqual([where, SERVICE_PORTS[service]]);
          expect([where, container.readinessProbe.httpGet]).toEqual([where, { path: '/ready', port: 'http' }]);
          expect([where, container.livenessProbe.httpGet]).toEqual([where, { path: '/health', port: 'http' }]);
          expect([where, BUILT_ENTRIES.includes(container.args[0])]).toEqual([where, true]);
          const serviceObject = objects.find((candidate) => candidate.kind === 'Service' && candidate.metadata.name === service)!;
          expect(serviceObject.spec.ports.find((port: { name: string }) => port.name === 'http')).toMatchObject({ port: SERVICE_PORTS[service], targetPort: 'http' });
          expect(pod.securityContext.runAsNonRoot).toBe(true);
        }
      }
      expect(podSpecs(objects).filter(({ object }) => SERVICES.includes(object.metadata.name as never)).map(({ object }) => object.metadata.name).sort()).toEqual([...SERVICES].sort());
    }
  });

  it('autoscales the router, chat and store, and limits disruption of every service', () => {
    for (const overlay of OVERLAYS) {
      const objects = built.get(overlay)!;
      const autoscaled = objects.filter((object) => object.kind === 'HorizontalPodAutoscaler').map((object) => object.spec.scaleTargetRef.name).sort();
      expect(autoscaled).toEqual(['chat', 'router', 'store']);
      for (const { object } of podSpecs(objects)) {
        // The autoscaler owns the count: a replicas field would reset it on every apply.
        if (autoscaled.includes(object.metadata.name)) expect([object.metadata.name, object.spec.replicas]).toEqual([object.metadata.name, undefined]);
      }
      for (const service of SERVICES) {
        const budget = objects.find((object) => object.kind === 'PodDisruptionBudget' && object.metadata.name === service);
        expect(budget?.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': service });
      }
    }
  });

  it('lets only the router reach the subgraphs (besides the direct calls between services), and anyone reach the router', () => {
    for (const overlay of OVERLAYS) {
      const policies = built.get(overlay)!.filter((object) => object.kind === 'NetworkPolicy');
      const denyAll = policies.find((policy) => Object.keys(policy.spec.podSelector).length === 0);
      expect(denyAll?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
      const selecting = (service: string) => policies.filter((policy) => policy.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === service);
      for (const subgraph of SUBGRAPHS) {
        const rules = selecting(subgraph).flatMap((policy) => policy.spec.ingress ?? []);
        for (const rule of rules) {
          // A rule without `from` admits everyone; namespaces and address blocks would admit more than these pods.
          expect(rule.from?.length).toBeGreaterThan(0);
          for (const peer of rule.from) expect(Object.keys(peer)).toEqual(['podSelector']);
          expect(rule.ports).toEqual([{ port: SERVICE_PORTS[subgraph] }]);
        }
        const callers = rules.flatMap((rule) => rule.from.map((peer: any) => peer.podSelector.matchLabels['app.kubernetes.io/name'])).sort();
        expect([subgraph, callers]).toEqual([subgraph, ALLOWED_CALLERS[subgraph]]);
      }
      const router = selecting('router').flatMap((policy) => policy.spec.ingress);
      expect(router).toEqual([{ ports: [{ port: SERVICE_PORTS.router }] }]);
    }
  });

  it('migrates in one place: an init step under the lock in each subgraph, no Job, none in the router', () => {
    for (const overlay of OVERLAYS) {
      const objects = built.get(overlay)!;
      expect(objects.filter((object) => ['Job', 'CronJob'].includes(object.kind))).toEqual([]);
      for (const { object, pod } of podSpecs(objects).filter(({ pod }) => IMAGE.test(pod.containers[0].image))) {
        const migrations = (pod.initContainers ?? []).filter((container: { args: string[] }) => container.args[0] === 'dist/deploy/migrate.js');
        if (object.metadata.name === 'router') {
          expect(pod.initContainers).toBeUndefined();
          continue;
        }
        expect([object.metadata.name, migrations.map((container: { args: string[] }) => container.args)]).toEqual([object.metadata.name, [['dist/deploy/migrate.js', object.metadata.name]]]);
        expect(migrations[0].image).toBe(pod.containers[0].image);
        expect(migrations[0].envFrom).toEqual(pod.containers[0].envFrom);
      }
    }
  });

  it('keeps secrets out: no Secret objects or values, only Secrets referenced by the names the README tells how to create', () => {
    const readme = readFileSync(path.join(KUBERNETES, 'README.md'), 'utf8');
    for (const overlay of OVERLAYS) {
      const objects = built.get(overlay)!;
      expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
      const config = objects.find((object) => object.kind === 'ConfigMap')!;
      expect(Object.keys(config.data!).filter((key) => /SECRET|PASSWORD|TOKEN|KEY|DATABASE_URL|REDIS_URL|SMTP_URL/.test(key))).toEqual([]);
      const referenced = new Set<string>();
      for (const { pod } of podSpecs(objects)) {
        for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
          for (const source of container.envFrom ?? []) if (source.secretRef) referenced.add(source.secretRef.name);
          for (const variable of container.env ?? []) {
            if (variable.valueFrom?.secretKeyRef) referenced.add(variable.valueFrom.secretKeyRef.name);
            expect([variable.name, /SECRET|PASSWORD|TOKEN|KEY/.test(variable.name) ? variable.value : undefined]).toEqual([variable.name, undefined]);
          }
        }
      }
      for (const name of referenced) expect([name, readme.includes(`kubectl -n dorandoran create secret generic ${name}`)]).toEqual([name, true]);
    }
    for (const file of filesUnder(path.join(ROOT, 'deploy'))) {
      const text = readFileSync(file, 'utf8');
      expect([file, /^kind:\s*Secret\s*$/m.test(text)]).toEqual([file, false]);
      // A URL with a password in it; `<password>` and `$VARIABLE` placeholders are not one.
      expect([file, text.match(/[a-z]+:\/\/[^\s/:@]+:[^\s/@<$]+@/g)]).toEqual([file, null]);
    }
  });

  it('routes /graphql to the router through the Ingress, with timeouts for long-lived graphql-ws sockets', () => {
    for (const overlay of OVERLAYS) {
      const ingress = built.get(overlay)!.find((object) => object.kind === 'Ingress')!;
      const paths = ingress.spec.rules.flatMap((rule: any) => rule.http.paths);
      expect(paths.find((entry: any) => entry.path === '/graphql')).toEqual({ path: '/graphql', pathType: 'Prefix', backend: { service: { name: 'router', port: { name: 'http' } } } });
      expect(paths.every((entry: any) => entry.backend.service.name === 'router')).toBe(true);
      expect(Number(ingress.metadata.annotations!['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(3600);
      expect(Number(ingress.metadata.annotations!['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(3600);
    }
  });
});

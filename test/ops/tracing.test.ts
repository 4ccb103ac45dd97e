/**
 * Traces in docker compose and on Kubernetes: every service exports to the OpenTelemetry Collector,
 * the collector (one pipeline file for both) receives OTLP/HTTP and passes the spans to Jaeger (or,
 * in production, the backend the overlay names), and the network policies let the spans through.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { inServerSpan, startTracing } from '@dorandoran/service-kit';
import { loadAuthConfig } from '@dorandoran/auth/config';

const ROOT = path.resolve(__dirname, '..', '..');
const PIPELINE_FILE = 'deploy/kubernetes/components/tracing/otel-collector.yml';
const SERVICES = ['router', 'auth', 'users', 'chat', 'store', 'batch'];

const kubectlFound = !spawnSync('kubectl', ['version', '--client']).error;
if (!kubectlFound && !process.env.CI) console.warn('Skipping the Kubernetes part of test/ops/tracing: kubectl is not installed.');
const withKubectl = kubectlFound || process.env.CI ? describe : describe.skip;

type Compose = { services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string>; volumes?: string[]; ports?: string[] }> };
type KubeObject = { kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string> };

/** The value docker compose gives `${NAME-default}` / `${NAME:-default}` when NAME is unset. */
const unsetDefault = (value: string) => /^\$\{\w+:?-(.*)\}$/.exec(value)?.[1] ?? value;

const pipeline = parse(readFileSync(path.join(ROOT, PIPELINE_FILE), 'utf8'));

describe('the collector pipeline', () => {
  test('receives OTLP over HTTP on 4318 (what the services send) and exports every trace to TRACES_BACKEND_URL over OTLP/HTTP', () => {
    expect(pipeline.receivers.otlp.protocols.http.endpoint).toBe('0.0.0.0:4318');
    const traces = pipeline.service.pipelines.traces;
    expect(traces.receivers).toEqual(['otlp']);
    expect(traces.exporters).toHaveLength(1);
    const [exporter] = traces.exporters;
    expect(exporter).toMatch(/^otlphttp(\/|$)/);
    expect(pipeline.exporters[exporter]).toEqual({ endpoint: '${env:TRACES_BACKEND_URL}' });
    for (const processor of traces.processors) expect(pipeline.processors).toHaveProperty([processor]);
  });

  test('a service given the endpoint compose and Kubernetes set posts its spans to <endpoint>/v1/traces, the receiver\'s path', async () => {
    const received: string[] = [];
    const collector = createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      req.resume();
      req.on('end', () => res.end('{}'));
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    try {
      const tracing = startTracing({ serviceName: 'auth', endpoint: loadAuthConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }).otlpEndpoint })!;
      await inServerSpan('auth', 'GET /ready', {}, {}, async () => undefined);
      await tracing.flush();
      await tracing.shutdown();
      expect(received).toEqual(['POST /v1/traces']);
    } finally {
      await new Promise((resolve) => collector.close(resolve));
    }
  });
});

describe('docker compose', () => {
  const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as Compose;
  const ours = Object.entries(compose.services).filter(([, service]) => service.image === 'dorandoran/supergraph:local');

  test('every service exports its spans to the otel-collector service unless OTEL_EXPORTER_OTLP_ENDPOINT says otherwise', () => {
    expect(ours.map(([name]) => name).sort()).toEqual([...SERVICES].sort());
    for (const [name, service] of ours) {
      const endpoint = service.environment?.OTEL_EXPORTER_OTLP_ENDPOINT ?? '';
      // `-`, not `:-`: an empty OTEL_EXPORTER_OTLP_ENDPOINT turns tracing off.
      expect([name, endpoint]).toEqual([name, '${OTEL_EXPORTER_OTLP_ENDPOINT-http://otel-collector:4318}']);
    }
  });

  test('the collector runs the pipeline file and sends to Jaeger, whose UI is published on loopback only', () => {
    const collector = compose.services['otel-collector'];
    expect(collector.volumes).toContain(`./${PIPELINE_FILE}:/etc/otelcol-contrib/config.yml:ro`);
    expect(collector.command).toEqual(['--config=/etc/otelcol-contrib/config.yml']);
    expect(unsetDefault(collector.environment!.TRACES_BACKEND_URL)).toBe('http://jaeger:4318');
    const jaeger = compose.services.jaeger;
    expect(jaeger.image).toMatch(/^jaegertracing\/jaeger:2\.\d+\.\d+$/);
    expect(jaeger.command).toEqual(expect.arrayContaining(['receivers.otlp.protocols.http.endpoint=0.0.0.0:4318']));
    expect(jaeger.ports).toEqual(['127.0.0.1:16686:16686']);
  });

  test('Prometheus gets the alert rules: ops/prometheus, where prometheus.yml names alerts.yml, is its configuration folder', () => {
    expect(compose.services.prometheus.volumes).toContain('./ops/prometheus:/etc/prometheus:ro');
    expect(parse(readFileSync(path.join(ROOT, 'ops/prometheus/prometheus.yml'), 'utf8')).rule_files).toEqual(['alerts.yml']);
  });
});

withKubectl('Kubernetes', () => {
  const build = (overlay: string): KubeObject[] => {
    const result = spawnSync('kubectl', ['kustomize', path.join(ROOT, 'deploy/kubernetes/overlays', overlay)], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`kubectl kustomize overlays/${overlay} failed: ${result.error?.message ?? result.stderr}`);
    return parseAllDocuments(result.stdout).map((document) => document.toJSON());
  };
  const find = (objects: KubeObject[], kind: string, name: string) => objects.find((object) => object.kind === kind && object.metadata.name === name);
  const collectorOf = (objects: KubeObject[]) => find(objects, 'Deployment', 'otel-collector')!.spec.template.spec;
  const envOf = (container: { env?: { name: string; value: string }[] }) => Object.fromEntries((container.env ?? []).map((v) => [v.name, v.value]));

  test.each(['local', 'production'])('%s: every service exports to the collector, which runs the pipeline file and takes spans from the services', (overlay) => {
    const objects = build(overlay);
    expect(find(objects, 'ConfigMap', 'dorandoran-config')!.data!.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://otel-collector:4318');

    const service = find(objects, 'Service', 'otel-collector')!;
    expect(service.spec.ports).toContainEqual({ name: 'otlp-http', port: 4318, targetPort: 'otlp-http' });
    const pod = collectorOf(objects);
    const [container] = pod.containers;
    expect(container.ports).toContainEqual({ name: 'otlp-http', containerPort: 4318 });
    const configMap = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === pod.volumes.find((v: any) => v.name === 'config').configMap.name)!;
    expect(configMap.data!['config.yml']).toBe(readFileSync(path.join(ROOT, PIPELINE_FILE), 'utf8'));
    expect(container.args).toEqual(['--config=/etc/otelcol-contrib/config.yml']);
    expect(container.volumeMounts).toContainEqual({ name: 'config', mountPath: '/etc/otelcol-contrib', readOnly: true });

    // The namespace denies every incoming connection no policy allows (base/network-policy.yaml).
    const policy = objects.find((object) => object.kind === 'NetworkPolicy' && object.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === 'otel-collector')!;
    expect(policy.spec.ingress).toEqual([
      { from: [{ podSelector: { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: SERVICES }] } }], ports: [{ port: 4318 }] },
    ]);
  });

  test('local: the collector sends to the in-cluster Jaeger, which takes spans from the collector only', () => {
    const objects = build('local');
    expect(envOf(collectorOf(objects).containers[0]).TRACES_BACKEND_URL).toBe('http://jaeger:4318');
    expect(find(objects, 'Service', 'jaeger')!.spec.ports).toContainEqual({ name: 'otlp-http', port: 4318, targetPort: 'otlp-http' });
    const jaeger = find(objects, 'Deployment', 'jaeger')!.spec.template.spec.containers[0];
    expect(jaeger.args).toContain('receivers.otlp.protocols.http.endpoint=0.0.0.0:4318');
    const policy = objects.find((object) => object.kind === 'NetworkPolicy' && object.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === 'jaeger')!;
    expect(policy.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'otel-collector' } } }], ports: [{ port: 4318 }] }]);
  });

  test('production: no in-memory Jaeger; the collector sends to the backend the overlay names', () => {
    const objects = build('production');
    expect(find(objects, 'Deployment', 'jaeger')).toBeUndefined();
    expect(envOf(collectorOf(objects).containers[0]).TRACES_BACKEND_URL).toMatch(/^https?:\/\/[^/]+:4318$/);
    expect(envOf(collectorOf(objects).containers[0]).TRACES_BACKEND_URL).not.toBe('http://jaeger:4318');
  });
});

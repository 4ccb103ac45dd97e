/**
 * Profiles a gateway, ours unless BENCH_GATEWAY says another (apollo, hive), under the small query
 * (BENCH_QUERY=large for the other): the bench's subgraphs and the gateway, started as in run.ts,
 * with `node --cpu-prof`, a warm-up, then BENCH_SECONDS (30) of load from BENCH_CONNECTIONS (50)
 * clients. Prints cpuprofile.ts's summary of the loaded window only and leaves the .cpuprofile in
 * the temp dir (for Chrome DevTools), never in the repository.
 *
 *   npx tsx bench/gateways/profile.ts
 */
import { mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { report, summarize } from './cpuprofile';
import { drive } from './load';
import { GATEWAYS, startGateway, startSubgraphs, stop, writeSupergraph, type GatewayName, type Started } from './processes';
import { QUERIES, type QueryName } from './queries';

const GATEWAY = (process.env.BENCH_GATEWAY ?? 'ours') as GatewayName;
const QUERY = (process.env.BENCH_QUERY ?? 'small') as QueryName;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const WARMUP_SECONDS = 10;

async function main() {
  if (!GATEWAYS.includes(GATEWAY)) throw new Error(`BENCH_GATEWAY must be one of ${GATEWAYS.join(', ')}, got "${GATEWAY}"`);
  if (!(QUERY in QUERIES)) throw new Error(`BENCH_QUERY must be one of ${Object.keys(QUERIES).join(', ')}, got "${QUERY}"`);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'dorandoran-profile-'));
  const profileDir = path.join(workDir, 'profile');
  const started: Started[] = [];
  try {
    const subgraphs = await startSubgraphs(workDir);
    started.push(subgraphs);
    const supergraphPath = path.join(workDir, 'supergraph.graphql');
    writeSupergraph(subgraphs.urls, supergraphPath);
    // The profile's clock starts with the process: times measured from just before the spawn
    // bound the loaded window from outside (the window kept starts no earlier than the load).
    const spawnedAt = performance.now();
    const gateway = await startGateway(GATEWAY, supergraphPath, workDir, ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
    started.push(gateway);
    await drive(gateway, QUERY, WARMUP_SECONDS, CONNECTIONS);
    const fromS = (performance.now() - spawnedAt) / 1000;
    const result = await drive(gateway, QUERY, SECONDS, CONNECTIONS);
    const toS = (performance.now() - spawnedAt) / 1000;
    await stop(gateway);
    const [file] = (await readdir(profileDir)).filter((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error(`${GATEWAY} wrote no profile into ${profileDir}`);
    const kept = path.join(os.tmpdir(), `dorandoran-${GATEWAY}-${QUERY}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
    await rename(path.join(profileDir, file), kept);
    const summary = summarize(JSON.parse(await readFile(kept, 'utf8')), { fromS, toS });
    console.log(`${GATEWAY}, ${QUERY} query, ${CONNECTIONS} connections, ${SECONDS} s after a ${WARMUP_SECONDS} s warm-up: ${result.requests.average.toFixed(0)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms (under the profiler)`);
    console.log(`${(summary.busyMs / result.requests.total).toFixed(2)} ms of busy CPU per request; profile: ${kept} (window ${fromS.toFixed(1)}–${toS.toFixed(1)} s)\n`);
    console.log(report(summary));
  } finally {
    for (const process of started.reverse()) await stop(process);
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

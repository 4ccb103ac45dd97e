/**
 * Profiles our router under the small query: the bench's subgraphs and our router (started as in
 * run.ts) with `node --cpu-prof`, a warm-up, then BENCH_SECONDS (30) of load from
 * BENCH_CONNECTIONS (50) clients. Prints cpuprofile.ts's summary of the loaded window only and
 * leaves the .cpuprofile in the temp dir (for Chrome DevTools), never in the repository.
 *
 *   npx tsx bench/gateways/profile.ts
 */
import { mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { report, summarize } from './cpuprofile';
import { drive } from './load';
import { startGateway, startSubgraphs, stop, writeSupergraph, type Started } from './processes';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const WARMUP_SECONDS = 10;

async function main() {
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
    const router = await startGateway('ours', supergraphPath, workDir, ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
    started.push(router);
    await drive(router, 'small', WARMUP_SECONDS, CONNECTIONS);
    const fromS = (performance.now() - spawnedAt) / 1000;
    const result = await drive(router, 'small', SECONDS, CONNECTIONS);
    const toS = (performance.now() - spawnedAt) / 1000;
    await stop(router);
    const [file] = (await readdir(profileDir)).filter((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error(`the router wrote no profile into ${profileDir}`);
    const kept = path.join(os.tmpdir(), `dorandoran-router-small-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
    await rename(path.join(profileDir, file), kept);
    console.log(`small query, ${CONNECTIONS} connections, ${SECONDS} s after a ${WARMUP_SECONDS} s warm-up: ${result.requests.average.toFixed(0)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms (under the profiler)`);
    console.log(`profile: ${kept} (window ${fromS.toFixed(1)}–${toS.toFixed(1)} s)\n`);
    console.log(report(summarize(JSON.parse(await readFile(kept, 'utf8')), { fromS, toS })));
  } finally {
    for (const process of started.reverse()) await stop(process);
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

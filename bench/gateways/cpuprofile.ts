/**
 * Summarizes a V8 .cpuprofile (`node --cpu-prof`): where the busy time went, by group (our code,
 * @apollo/gateway, graphql-js, node internals, …), by package or file, and by function, self and
 * inclusive, in % of the busy (non-idle) time.
 *
 *   npx tsx bench/gateways/cpuprofile.ts <file.cpuprofile> [--from <s>] [--to <s>] [--top <n>]
 *
 * --from/--to keep only the samples taken that many seconds after the profile started (to leave
 * out start-up and warm-up).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  /** Microseconds since the previous sample (the first: since startTime). */
  timeDeltas: number[];
}

const ROOT = path.resolve(__dirname, '..', '..');

export type Group = 'our code' | '@apollo/gateway' | '@apollo/server' | 'graphql-js' | 'other packages' | 'node internals' | 'V8 (GC, compiler, built-ins)';

/** The package a file belongs to: `@scope/name` or `name`, from its last node_modules folder. */
function packageOf(file: string): string | undefined {
  const at = file.lastIndexOf('/node_modules/');
  if (at < 0) return undefined;
  const parts = file.slice(at + '/node_modules/'.length).split('/');
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

/** What a frame's time is put down to: its group and the package (or our file) it is in. */
export function classify(frame: CallFrame): { group: Group; module: string } {
  const { url, functionName } = frame;
  if (!url) return { group: 'V8 (GC, compiler, built-ins)', module: functionName.startsWith('(') ? functionName : '(native built-ins)' };
  if (url.startsWith('node:')) return { group: 'node internals', module: url };
  const file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const pkg = packageOf(file);
  if (!pkg) return { group: file.startsWith(ROOT) ? 'our code' : 'other packages', module: path.relative(ROOT, file) };
  // The query planner and the federation model are @apollo/gateway's own parts, released with it.
  if (['@apollo/gateway', '@apollo/query-planner', '@apollo/federation-internals'].includes(pkg)) return { group: '@apollo/gateway', module: pkg };
  if (pkg === '@apollo/server' || pkg.startsWith('@apollo/server-')) return { group: '@apollo/server', module: pkg };
  if (pkg === 'graphql') return { group: 'graphql-js', module: pkg };
  return { group: 'other packages', module: pkg };
}

const IDLE = new Set(['(idle)', '(root)']);

export interface Entry {
  name: string;
  group: Group;
  selfMs: number;
  totalMs: number;
}

export interface Summary {
  busyMs: number;
  idleMs: number;
  groups: Entry[];
  modules: Entry[];
  functions: Entry[];
}

/**
 * Self time is each sample's interval (until the next sample) put down to its leaf frame;
 * inclusive time to every frame on its stack, a function counted once per sample however often
 * it recurses.
 */
export function summarize(profile: CpuProfile, window: { fromS?: number; toS?: number } = {}): Summary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const keys = new Map<number, { fn: string; module: string; group: Group }>();
  const groupOf = new Map<string, Group>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const { group, module } = classify(node.callFrame);
    // Our files run as tsx compiled them, without source maps: their line numbers would point into
    // the compiled text, so they are named by function and file alone.
    const where = !url ? '' : group === 'our code' ? module : `${url.startsWith('node:') ? url : module}:${lineNumber + 1}`;
    const fn = `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    keys.set(node.id, { fn, module, group });
    groupOf.set(fn, group).set(module, group).set(group, group);
  }
  // The distinct functions, modules and groups on each node's stack, worked out once per node;
  // the (root) frame above every stack is no one's time.
  const stacks = new Map<number, Set<string>[]>();
  const stackOf = (id: number): Set<string>[] => {
    const known = stacks.get(id);
    if (known) return known;
    const key = keys.get(id)!;
    const sets =
      byId.get(id)!.callFrame.functionName === '(root)'
        ? [new Set<string>(), new Set<string>(), new Set<string>()]
        : stackOf(parent.get(id)!).map((above, level) => new Set(above).add([key.fn, key.module, key.group][level]));
    stacks.set(id, sets);
    return sets;
  };

  const tables = [new Map<string, Entry>(), new Map<string, Entry>(), new Map<string, Entry>()];
  const entry = (table: Map<string, Entry>, name: string, group: Group) => {
    let found = table.get(name);
    if (!found) table.set(name, (found = { name, group, selfMs: 0, totalMs: 0 }));
    return found;
  };
  let busyMs = 0;
  let idleMs = 0;
  let at = 0;
  const fromUs = (window.fromS ?? 0) * 1e6;
  const toUs = (window.toS ?? Infinity) * 1e6;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i];
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    if (at < fromUs || at > toUs) continue;
    const id = profile.samples[i];
    const node = byId.get(id)!;
    if (IDLE.has(node.callFrame.functionName)) {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    const key = keys.get(id)!;
    const leaf = [key.fn, key.module, key.group];
    stackOf(id).forEach((names, level) => {
      for (const name of names) {
        const e = entry(tables[level], name, groupOf.get(name)!);
        e.totalMs += ms;
        if (name === leaf[level]) e.selfMs += ms;
      }
    });
  }
  const sorted = (table: Map<string, Entry>) => [...table.values()].sort((a, b) => b.selfMs - a.selfMs);
  return { busyMs, idleMs, functions: sorted(tables[0]), modules: sorted(tables[1]), groups: sorted(tables[2]) };
}

export function report(summary: Summary, top = 15): string {
  const pct = (ms: number) => `${((100 * ms) / summary.busyMs).toFixed(1).padStart(5)} %`;
  const lines = [
    `busy ${(summary.busyMs / 1000).toFixed(1)} s, idle ${(summary.idleMs / 1000).toFixed(1)} s (percentages are of the busy time)`,
    '',
    'by group                          self     inclusive',
    ...summary.groups.map((e) => `  ${e.name.padEnd(30)} ${pct(e.selfMs)}   ${pct(e.totalMs)}`),
    '',
    `top ${top} packages and files by self time`,
    ...summary.modules.slice(0, top).map((e) => `  ${pct(e.selfMs)} self ${pct(e.totalMs)} incl.  ${e.name}  [${e.group}]`),
    '',
    `top ${top} functions by self time`,
    ...summary.functions.slice(0, top).map((e) => `  ${pct(e.selfMs)} self ${pct(e.totalMs)} incl.  ${e.name}  [${e.group}]`),
    '',
    `top ${top} functions by inclusive time`,
    ...[...summary.functions].sort((a, b) => b.totalMs - a.totalMs).slice(0, top).map((e) => `  ${pct(e.totalMs)} incl. ${pct(e.selfMs)} self  ${e.name}  [${e.group}]`),
    '',
    `top ${top} of our functions by inclusive time`,
    ...summary.functions.filter((e) => e.group === 'our code').sort((a, b) => b.totalMs - a.totalMs).slice(0, top).map((e) => `  ${pct(e.totalMs)} incl. ${pct(e.selfMs)} self  ${e.name}`),
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const option = (name: string) => {
    const at = args.indexOf(name);
    return at >= 0 ? Number(args.splice(at, 2)[1]) : undefined;
  };
  const fromS = option('--from');
  const toS = option('--to');
  const top = option('--top') ?? 15;
  if (args.length !== 1) {
    console.error('usage: tsx bench/gateways/cpuprofile.ts <file.cpuprofile> [--from <s>] [--to <s>] [--top <n>]');
    process.exit(2);
  }
  console.log(report(summarize(JSON.parse(readFileSync(args[0], 'utf8')) as CpuProfile, { fromS, toS }), top));
}

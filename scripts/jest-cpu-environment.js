/**
 * jest's node environment, plus the CPU a test file cost: its worker's own time and that of the
 * processes it started and reaped (service processes, Chromium), from /proc, between the file's set-up
 * and its teardown. The suite is CPU-bound on 2 cores, so this, not wall time, says where it goes.
 * scripts/jest-summary-reporter.js names the file to append to (JEST_CPU_FILE) and prints the result;
 * without it, or without /proc, this is jest's node environment and nothing more.
 */
const { appendFileSync, readFileSync } = require('node:fs');
const { TestEnvironment } = require('jest-environment-node');

/** Clock ticks per second as Linux reports them in /proc (USER_HZ, 100 on every Linux architecture Node runs on). */
const TICKS_PER_SECOND = 100;

/** Seconds of CPU: this process (user, system) and its reaped children (user, system). */
function cpuSeconds() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [self, system, children, childrenSystem] = fields.slice(11, 15).map(Number);
    return { self: (self + system) / TICKS_PER_SECOND, children: (children + childrenSystem) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

class CpuMeasuringEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
    this.started = process.env.JEST_CPU_FILE ? cpuSeconds() : undefined;
  }

  async teardown() {
    await super.teardown();
    const ended = this.started && cpuSeconds();
    if (!ended) return;
    const line = { file: this.testPath, self: ended.self - this.started.self, children: ended.children - this.started.children };
    appendFileSync(process.env.JEST_CPU_FILE, `${JSON.stringify(line)}\n`);
  }
}

module.exports = CpuMeasuringEnvironment;

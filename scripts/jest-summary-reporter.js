/**
 * Ends a jest run with the slowest test files (where the suite's time goes), the files that cost the
 * most CPU (scripts/jest-cpu-environment.js measures it), and one plain line, "N passed, N failed,
 * N skipped", that any CI can read.
 *
 * With JEST_DURATIONS_UPDATE=1 it also writes each file's seconds into scripts/jest-durations.json
 * (kept for files this run did not include), which scripts/jest-sequencer.js reads to start the
 * longest files first.
 */
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const DURATIONS = path.join(__dirname, 'jest-durations.json');

class SummaryReporter {
  constructor() {
    // Set before jest starts its workers, which inherit it.
    this.cpuFolder = mkdtempSync(path.join(os.tmpdir(), 'dorandoran-jest-cpu-'));
    process.env.JEST_CPU_FILE = path.join(this.cpuFolder, 'files.jsonl');
  }

  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests, testResults, startTime } = results;
    const files = testResults
      .map((file) => ({ file: path.relative(process.cwd(), file.testFilePath), seconds: (file.perfStats.end - file.perfStats.start) / 1000 }))
      .filter((file) => file.seconds > 0)
      .sort((a, b) => b.seconds - a.seconds);
    if (files.length > 1) {
      const total = files.reduce((sum, file) => sum + file.seconds, 0);
      const wall = (Date.now() - startTime) / 1000;
      console.log(`\nslowest test files (of ${files.length}, ${total.toFixed(0)} s in all, ${wall.toFixed(0)} s from start to end):`);
      for (const { file, seconds } of files.slice(0, 12)) console.log(`  ${seconds.toFixed(1).padStart(6)} s  ${file}`);
      this.printCpu(wall);
    }
    if (process.env.JEST_DURATIONS_UPDATE === '1' && files.length) writeDurations(files);
    rmSync(this.cpuFolder, { recursive: true, force: true });
    console.log(`\nsummary: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped`);
  }

  /** CPU per file: the worker's own, and its reaped child processes' (service processes, Chromium). */
  printCpu(wall) {
    let lines = [];
    try {
      lines = readFileSync(process.env.JEST_CPU_FILE, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
    } catch {}
    if (lines.length === 0) return;
    const cost = (line) => line.self + line.children;
    const total = lines.reduce((sum, line) => sum + cost(line), 0);
    console.log(`\nmost CPU (of ${total.toFixed(0)} s in test files and the processes they started, ${(total / wall).toFixed(2)} cores over the run; PostgreSQL, Redis and jest itself not counted):`);
    for (const line of lines.sort((a, b) => cost(b) - cost(a)).slice(0, 12)) {
      const children = line.children >= 0.5 ? ` (${line.children.toFixed(1)} s in child processes)` : '';
      console.log(`  ${cost(line).toFixed(1).padStart(6)} s  ${path.relative(process.cwd(), line.file)}${children}`);
    }
  }
}

function writeDurations(files) {
  let seconds = {};
  try {
    seconds = JSON.parse(readFileSync(DURATIONS, 'utf8')).seconds ?? {};
  } catch {}
  for (const { file, seconds: taken } of files) seconds[file] = Math.round(taken * 10) / 10;
  const sorted = Object.fromEntries(Object.entries(seconds).sort(([a], [b]) => (a < b ? -1 : 1)));
  const note = 'Seconds per test file in a full `npm test`; scripts/jest-sequencer.js starts the longest first. Rewritten by `JEST_DURATIONS_UPDATE=1 npm test`.';
  writeFileSync(DURATIONS, `${JSON.stringify({ note, seconds: sorted }, null, 2)}\n`);
  console.log(`\nwrote the files' durations to ${path.relative(process.cwd(), DURATIONS)}`);
}

module.exports = SummaryReporter;

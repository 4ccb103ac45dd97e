/**
 * Ends a jest run with the slowest test files (where the suite's time goes) and one plain line,
 * "N passed, N failed, N skipped", that any CI can read.
 *
 * With JEST_DURATIONS_UPDATE=1 it also writes each file's seconds into scripts/jest-durations.json
 * (kept for files this run did not include), which scripts/jest-sequencer.js reads to start the
 * longest files first.
 */
const { readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const DURATIONS = path.join(__dirname, 'jest-durations.json');

class SummaryReporter {
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
    }
    if (process.env.JEST_DURATIONS_UPDATE === '1' && files.length) writeDurations(files);
    console.log(`\nsummary: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped`);
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

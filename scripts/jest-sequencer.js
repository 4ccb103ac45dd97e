/**
 * Runs the longest test files first, so that the workers finish together instead of one
 * starting a two-minute browser file while the other has nothing left.
 *
 * A file's length is what scripts/jest-durations.json says (seconds, measured in a full run:
 * `JEST_DURATIONS_UPDATE=1 npm test` rewrites it); a file not listed there takes jest's own record of
 * its last run on this machine (its cache), and one never run is guessed from its size. Files that
 * failed last time still go first, as with jest's default order.
 */
const { readFileSync, statSync } = require('node:fs');
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const ROOT = path.resolve(__dirname, '..');
const DURATIONS = path.join(__dirname, 'jest-durations.json');

function measured() {
  try {
    return JSON.parse(readFileSync(DURATIONS, 'utf8')).seconds ?? {};
  } catch {
    return {};
  }
}

class LongestFirstSequencer extends Sequencer {
  sort(tests) {
    const seconds = measured();
    const size = (test) => statSync(test.path, { throwIfNoEntry: false })?.size ?? 0;
    // The median seconds per byte of the files with a measurement: the guess for a file without one.
    const ratios = tests
      .filter((test) => seconds[path.relative(ROOT, test.path)] !== undefined && size(test) > 0)
      .map((test) => seconds[path.relative(ROOT, test.path)] / size(test))
      .sort((a, b) => a - b);
    const perByte = ratios.length ? ratios[Math.floor(ratios.length / 2)] : 0.001;
    const estimate = (test) => {
      const listed = seconds[path.relative(ROOT, test.path)];
      if (listed !== undefined) return listed;
      const cached = super.time(test);
      return cached !== undefined ? cached / 1000 : size(test) * perByte;
    };
    const order = tests.map((test) => ({ test, failed: this.hasFailed(test), seconds: estimate(test) }));
    order.sort((a, b) => Number(b.failed) - Number(a.failed) || b.seconds - a.seconds || (a.test.path < b.test.path ? -1 : 1));
    for (const { test, seconds: estimated } of order) test.duration = estimated * 1000;
    return order.map(({ test }) => test);
  }
}

module.exports = LongestFirstSequencer;

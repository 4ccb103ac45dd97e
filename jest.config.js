/** One jest run over every workspace; TypeScript through swc (type checking is `npm run typecheck`). */
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true }, target: 'es2022' },
    module: { type: 'commonjs' },
  },
];

const { existsSync } = require('node:fs');

// The browser suite needs Chromium's headless shell (test/browser/support/browser.ts). Without it a developer's
// run skips that suite and says so; CI (CI=true) installs it and runs the suite, so it fails there instead.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium-headless-shell';
const skipBrowser = !existsSync(chromium) && !process.env.CI;
if (skipBrowser) console.warn(`Skipping the browser tests (test/browser): no Chromium at ${chromium}. Install it (apt-get install chromium-headless-shell) or set CHROMIUM_PATH.`);

module.exports = {
  // jest's node environment, measuring each file's CPU for the summary reporter.
  testEnvironment: '<rootDir>/scripts/jest-cpu-environment.js',
  transform: { '^.+\\.ts$': swc },
  testMatch: ['<rootDir>/{packages,subgraphs,gateway,rover,test,web}/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...(skipBrowser ? ['<rootDir>/test/browser/'] : [])],
  // Starting a whole stack on embedded PGlite took up to 65 s beside the fault suite's six service processes on 2 cores.
  testTimeout: 120000,
  // A test file spends much of its time waiting (for service processes, Chromium, timers, events): on
  // 2 cores on PostgreSQL and Redis, 2 workers left the machine 55 % idle and took 373 s, 3 took
  // 304-325 s, 4 take 264-272 s. Four used to hold up to 96 of PostgreSQL's 100 connections, 95 of them
  // idle in the stacks' pools, and failed with "too many clients"; test databases now close idle
  // connections after a second (testDatabase), and four peak at 70. `--maxWorkers` overrides.
  maxWorkers: 4,
  // Longest files first (scripts/jest-durations.json), so the workers end together.
  testSequencer: '<rootDir>/scripts/jest-sequencer.js',
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
};

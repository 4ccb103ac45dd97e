import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium, type Browser, type BrowserContext, type Locator, type Page, type Request, type WebSocketRoute } from 'playwright-core';
import { buildWebIfChanged } from '../../../scripts/buildWeb';
import { startStack, type Stack, type StackOptions } from '@dorandoran/test-support/stack';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const WEB = path.join(ROOT, 'web');
const RESULTS = path.join(WEB, 'test-results');

/**
 * Builds the web app (`npm run build:web` → web/dist, which the router serves at `/`) unless web/dist
 * holds a build of the current sources (scripts/buildWeb.ts: a hash of them is kept with the build).
 * With CI set, a build made since this process (the jest worker) started counts whatever the sources,
 * so a second worker or test file never rebuilds the files a running test is loading; one made before
 * this run counts only for the same sources.
 */
export async function buildWebApp(): Promise<void> {
  await buildWebIfChanged({ acceptBuiltSince: process.env.CI ? performance.timeOrigin : undefined });
}

/**
 * Chromium as installed on the machine: Debian's headless shell (/usr/bin/chromium-headless-shell) unless
 * CHROMIUM_PATH says otherwise. The shell is the Chromium that Playwright runs headless by default, the
 * same Blink and V8 without the desktop browser's profile services: a new context with the app's log-in
 * page took 1.1 s of CPU in it against 2.9 s in /usr/bin/chromium, and test/browser/liveChat 69 s against 132 s.
 */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium-headless-shell';
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium is not at ${executablePath}: install it (apt-get install chromium-headless-shell) or set CHROMIUM_PATH`);
  }
  return chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Uncaught errors of each page (from newContext's contexts), for the failure messages of `shows`. */
const pageErrors = new WeakMap<Page, string[]>();

/** A fresh context (its own storage, so its own session) whose pages' uncaught errors are kept for failure messages. */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  context.on('weberror', (webError) => {
    const page = webError.page();
    if (page) pageErrors.set(page, [...(pageErrors.get(page) ?? []), webError.error().message]);
  });
  return context;
}

/** The app's address on a stack's router: its GraphQL URL without the path. */
export const appUrlOf = (routerUrl: string) => new URL('/', routerUrl).href;

/** A full-page PNG at web/test-results/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(RESULTS, { recursive: true });
  const file = path.join(RESULTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export interface Person {
  email: string;
  password: string;
  nickname: string;
}

/** A new person with a unique email and nickname (`<name> <hex>`, well within the 30-character limit). */
export function newPerson(name: string): Person {
  const tag = randomBytes(3).toString('hex');
  return { email: `${name.toLowerCase()}.${tag}@example.com`, password: 'correct horse 42', nickname: `${name} ${tag}` };
}

/** Waits until the locator shows; a failure names what it waited for, where, the page's alert and its uncaught errors. */
export async function shows(locator: Locator, timeout = 10_000): Promise<void> {
  try {
    await locator.first().waitFor({ state: 'visible', timeout });
  } catch (error) {
    const page = locator.page();
    const lines = (error as Error).message.replace(/\u001b\[[0-9;]*m/g, '').split('\n');
    const waitingFor = lines.find((line) => line.includes('waiting for'))?.trim();
    const alerts = (await page.getByRole('alert').allInnerTexts().catch(() => [])).filter((text) => text.trim());
    const thrown = pageErrors.get(page) ?? [];
    throw new Error(
      [
        lines[0],
        waitingFor && `  ${waitingFor}`,
        `  at ${page.url()}`,
        alerts.length && `  the page's alert says: ${alerts.join(' | ')}`,
        thrown.length && `  the page threw: ${thrown.join(' | ')}`,
      ]
        .filter(Boolean)
        .join('\n'),
    );
  }
}

/** Signs up through the app's form at /signup and waits until the app shows the signed-in header. */
export async function signUpInBrowser(page: Page, appUrl: string, person: Person): Promise<void> {
  await page.goto(new URL('signup', appUrl).href);
  await shows(page.getByRole('heading', { name: 'Sign up', exact: true }));
  await page.getByLabel('Email', { exact: true }).fill(person.email);
  await page.getByLabel('Password', { exact: true }).fill(person.password);
  await page.getByLabel('Nickname', { exact: true }).fill(person.nickname);
  await page.getByRole('button', { name: 'Sign up', exact: true }).click();
  await shows(page.getByRole('button', { name: 'Log out', exact: true }));
  await shows(page.getByRole('banner').getByText(person.nickname, { exact: true }));
}

/** A test file's app in Chromium: one stack and one browser for the file, fresh contexts for each test. */
export interface WebAppInChromium {
  stack: Stack;
  browser: Browser;
  /** The app's address on the stack's router. */
  app: string;
  /** A new context (its own storage, so its own session), closed after the test. */
  newContext(): Promise<BrowserContext>;
  /** A page in a new context. */
  newPage(): Promise<Page>;
}

/**
 * Registers the file's jest hooks: builds the web app, starts a stack and Chromium before the
 * tests, closes each test's contexts after it, and the browser and the stack at the end. The
 * returned fields are set once the tests run.
 */
export function webAppInChromium(stackOptions: StackOptions = {}): WebAppInChromium {
  const contexts: BrowserContext[] = [];
  const web = {
    async newContext() {
      const context = await newContext(web.browser);
      contexts.push(context);
      return context;
    },
    async newPage() {
      return (await web.newContext()).newPage();
    },
  } as WebAppInChromium;
  beforeAll(async () => {
    await buildWebApp();
    [web.stack, web.browser] = await Promise.all([startStack({}, stackOptions), launchBrowser()]);
    web.app = appUrlOf(web.stack.routerUrl);
  }, 180_000);
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });
  afterAll(async () => {
    await web.browser?.close();
    await web.stack?.close();
  });
  return web;
}

/** The router's GraphQL paths: /graphql, and /graphql/session, where the app sends RefreshSession with its cookie. */
const GRAPHQL_PATHS = new Set(['/graphql', '/graphql/session']);

/** Whether the request is a POST to the router's GraphQL of the app's operation with this name. */
export const isOperation = (request: Request, name: string) =>
  request.method() === 'POST' && GRAPHQL_PATHS.has(new URL(request.url()).pathname) && (request.postData() ?? '').includes(`"operationName":"${name}"`);

/** A page's graphql-ws connections, which a test can cut like a dropped network. */
export interface CuttableSockets {
  /** Closes the open connections (code 1001, as a lost network would end them) and refuses new ones until `restore`. */
  cut(): Promise<void>;
  restore(): void;
}

/** Routes the page's WebSockets to /graphql through Playwright (before the page opens them), passing everything on until `cut`. */
export async function cuttableSockets(page: Page): Promise<CuttableSockets> {
  let down = false;
  /** Each open connection's two sides: the page's and the server's. */
  const open = new Set<[WebSocketRoute, WebSocketRoute]>();
  await page.routeWebSocket(/\/graphql$/, async (socket) => {
    if (down) return socket.close({ code: 1001, reason: 'network down' });
    open.add([socket, socket.connectToServer()]);
  });
  return {
    async cut() {
      down = true;
      const pairs = [...open];
      open.clear();
      // The page sees 1001 (going away), which graphql-ws retries; a browser may close its own
      // side only with 1000 or 3000–4999.
      await Promise.all(pairs.flatMap(([pageSide, serverSide]) => [pageSide.close({ code: 1001, reason: 'network down' }), serverSide.close({ code: 1000 })]));
    },
    restore() {
      down = false;
    },
  };
}

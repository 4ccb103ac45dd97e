import type { BrowserContext, Response } from 'playwright-core';
import { bearer, post } from '@dorandoran/test-support/graphql';
import { LOG_IN, signUp } from '@dorandoran/test-support/users';
import { newPerson, screenshot, shows, signUpInBrowser, webAppInChromium } from './support/browser';

/**
 * How the app reaches a browser: compressed, split, with its Content-Security-Policy, a favicon,
 * and a GraphQL IDE that works without Apollo's CDN.
 */

const web = webAppInChromium();

/** Every Content-Security-Policy violation a page reports, from the console and from the DOM's event. */
async function watchPolicyViolations(context: BrowserContext): Promise<string[]> {
  const violations: string[] = [];
  await context.exposeFunction('reportPolicyViolation', (text: string) => violations.push(text));
  // Added to each page before its own scripts; the event fires for every blocked load or script.
  await context.addInitScript(
    "document.addEventListener('securitypolicyviolation', (event) => window.reportPolicyViolation(`${location.pathname}: ${event.violatedDirective} blocked ${event.blockedURI}`));",
  );
  context.on('console', (message) => {
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) violations.push(`${message.page()?.url()}: ${message.text()}`);
  });
  return violations;
}

test('the first page for a new visitor: compressed, split, and how many bytes it costs', async () => {
  const context = await web.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  let transferred = 0;
  cdp.on('Network.loadingFinished', (event) => {
    transferred += event.encodedDataLength;
  });
  const scripts: { url: string; encoding: string | undefined; vary: string | undefined }[] = [];
  page.on('response', (response) => {
    if (response.url().endsWith('.js')) scripts.push({ url: response.url(), encoding: response.headers()['content-encoding'], vary: response.headers().vary });
  });
  await page.goto(web.app, { waitUntil: 'networkidle' });
  await shows(page.getByRole('heading', { name: 'Log in', exact: true }));

  // Bytes over the wire, headers included, for everything the log-in page loaded (and its refresh attempt).
  console.log(`first page (log-in, signed out): ${transferred} bytes transferred, ${scripts.length} scripts`);
  expect(transferred).toBeLessThan(160_000);
  // Brotli for every script (Chromium accepts it), varied by encoding; no page's code loads before its page opens.
  expect(scripts.length).toBeGreaterThan(1);
  for (const script of scripts) expect(script).toMatchObject({ encoding: 'br', vary: 'accept-encoding' });
  expect(scripts.map((script) => script.url).join(' ')).not.toMatch(/ChatPage|StorePage|AdminPage|ProfilePage/);

  // gzip for a client that does not take brotli; the favicon is there.
  const gzipped = await page.request.get(scripts[0].url, { headers: { 'accept-encoding': 'gzip' } });
  expect(gzipped.headers()['content-encoding']).toBe('gzip');
  for (const icon of ['/favicon.ico', '/favicon.svg']) {
    const response = await page.request.get(new URL(icon, web.app).href);
    expect(response.status()).toBe(200);
  }
  expect(await page.locator('link[rel="icon"]').count()).toBe(2);
});

test('every page of the app runs under its Content-Security-Policy without a violation', async () => {
  const context = await web.newContext();
  const violations = await watchPolicyViolations(context);
  const page = await context.newPage();
  const policies = new Set<string>();
  page.on('response', (response) => {
    if (response.request().resourceType() === 'document') policies.add(response.headers()['content-security-policy'] ?? '(none)');
  });
  // The built page has no inline script for the policy to allow.
  const html = await (await page.request.get(web.app)).text();
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);

  for (const path of ['', 'signup', 'reset-password']) {
    await page.goto(new URL(path, web.app).href);
    await shows(page.getByRole('heading').first());
  }
  // An administrator sees every page there is.
  const person = newPerson('Ana');
  await signUpInBrowser(page, web.app, person);
  await web.stack.grantAdmin(person.email);
  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await page.getByLabel('Email', { exact: true }).fill(person.email);
  await page.getByLabel('Password', { exact: true }).fill(person.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await shows(page.getByRole('link', { name: 'Admin', exact: true }));
  for (const path of ['chat', 'store', 'cart', 'orders', 'profile', 'admin']) {
    await page.goto(new URL(path, web.app).href, { waitUntil: 'networkidle' });
    await shows(page.getByRole('banner').getByText(person.nickname, { exact: true }));
    expect(await page.getByText(/Loading/).count()).toBe(0);
  }
  // Live messages over graphql-ws run under `connect-src 'self'`: an open room subscribes.
  const other = await signUp(web.stack, { nickname: newPerson('Oli').nickname });
  const signedIn = await post(web.stack.routerUrl, LOG_IN, { email: person.email, password: person.password });
  const room = await post(web.stack.routerUrl, 'mutation($input: CreateChatRoomInput!) { createChatRoom(input: $input) { id } }', { input: { kind: 'DIRECT', memberIds: [other.id] } }, bearer(signedIn.data!.logIn.accessToken));
  const socket = page.waitForEvent('websocket');
  await page.goto(new URL(`chat/${room.data!.createChatRoom.id}`, web.app).href);
  const opened = await socket;
  expect(new URL(opened.url()).pathname).toBe('/graphql');
  await opened.waitForEvent('framereceived', { predicate: (frame) => String(frame.payload).includes('connection_ack') });
  await screenshot(page, 'delivery-chat-under-csp');
  expect([...policies]).toHaveLength(1);
  expect([...policies][0]).toContain("script-src 'self'");
  expect(violations).toEqual([]);
});

test('GET /graphql without Apollo’s CDN tells where the local GraphiQL is, which runs a query with nothing but the router', async () => {
  const context = await web.newContext();
  const violations = await watchPolicyViolations(context);
  // No network beyond the router.
  const router = new URL(web.app).origin;
  const elsewhere: string[] = [];
  await context.route(
    (url) => url.origin !== router,
    async (route) => {
      elsewhere.push(route.request().url());
      await route.abort('internetdisconnected');
    },
  );
  const page = await context.newPage();
  await page.goto(new URL('/graphql', web.app).href);
  await shows(page.getByRole('heading', { name: 'Apollo Sandbox could not be loaded' }));
  expect(elsewhere.some((url) => url.startsWith('https://embeddable-sandbox.cdn.apollographql.com/'))).toBe(true);
  await screenshot(page, 'delivery-sandbox-offline');

  elsewhere.length = 0;
  await page.getByRole('main').getByRole('link', { name: /local GraphiQL/ }).click();
  await page.waitForURL(new URL('/graphiql', web.app).href);
  const run = page.getByRole('button', { name: /Execute query/ });
  await shows(run, 20_000);
  // The button shows before the editors behind it are ready, and a click until then does nothing: try again.
  const isQuery = (response: Response) => new URL(response.url()).pathname === '/graphql' && (response.request().postData() ?? '').includes('__typename');
  let answered: Response | undefined;
  for (let attempt = 0; attempt < 10 && !answered; attempt++) {
    const response = page.waitForResponse(isQuery, { timeout: 2000 }).catch(() => undefined);
    await run.click();
    answered = await response;
  }
  expect(answered?.status()).toBe(200);
  await shows(page.locator('.result-window').getByText('"Query"'));
  await screenshot(page, 'delivery-graphiql-offline');
  expect(elsewhere).toEqual([]);
  expect(violations).toEqual([]);
  // The same query over plain HTTP, to be sure the answer shown was the router's.
  expect((await post(web.stack.routerUrl, '{ __typename }')).data).toEqual({ __typename: 'Query' });
});


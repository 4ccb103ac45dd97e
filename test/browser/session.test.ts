import type { BrowserContext, Page } from 'playwright-core';
import { bearer, post } from '@dorandoran/test-support/graphql';
import { LOG_IN } from '@dorandoran/test-support/users';
import { newPerson, screenshot, shows, signUpInBrowser, webAppInChromium } from './support/browser';

/**
 * The browser's session: the refresh token is the router's httpOnly cookie, the access token is in
 * memory only; a reload restores the session through the cookie, and no script can read a token.
 */

const web = webAppInChromium();

/** What any script on the page can read: local and session storage, and the cookies it can see. */
const readableByScripts = (page: Page) =>
  page.evaluate<{ local: Record<string, string>; session: Record<string, string>; cookie: string }>(
    // Text, run in the page: the tests are type-checked without the DOM's types.
    '({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie })',
  );

/** The router's refresh cookie as the browser holds it. */
const refreshCookie = async (context: BrowserContext) => (await context.cookies()).find((cookie) => cookie.name === 'dd_refresh');

test('two people in separate contexts: each session lives in an httpOnly, SameSite=Strict cookie on the session path, and survives a reload', async () => {
  const [contextA, contextB] = [await web.newContext(), await web.newContext()];
  const [pageA, pageB] = [await contextA.newPage(), await contextB.newPage()];
  const [a, b] = [newPerson('Ada'), newPerson('Bo')];
  // An older version of the app kept the session here: the app must remove it on load.
  await contextA.addInitScript(
    `if (!sessionStorage.getItem('seeded')) { localStorage.setItem('dorandoran.session', '{"accessToken":"old","refreshToken":"old"}'); sessionStorage.setItem('seeded', '1'); }`,
  );
  await signUpInBrowser(pageA, web.app, a);
  await signUpInBrowser(pageB, web.app, b);

  for (const [context, page] of [
    [contextA, pageA],
    [contextB, pageB],
  ] as const) {
    const cookie = await refreshCookie(context);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/graphql/session', secure: false });
    expect(cookie!.value).toMatch(/^[\w-]{20,}$/);
    // Seven days, as the refresh token lives.
    expect(cookie!.expires * 1000 - Date.now()).toBeGreaterThan(6.9 * 24 * 3600 * 1000);
    const readable = await readableByScripts(page);
    expect(readable.cookie).toBe('');
    expect(Object.keys(readable.local)).not.toContain('dorandoran.session');
    const everything = JSON.stringify(readable);
    expect(everything).not.toContain(cookie!.value);
    expect(everything).not.toMatch(/eyJ[\w-]+\.[\w-]+\./); // no JWT anywhere a script can read
  }
  expect((await refreshCookie(contextA))!.value).not.toBe((await refreshCookie(contextB))!.value);

  // A reload: the app says it is restoring the session, then each is back as themself.
  const refreshed = pageA.waitForResponse((response) => new URL(response.url()).pathname === '/graphql/session');
  await pageA.reload();
  expect((await refreshed).status()).toBe(200);
  await shows(pageA.getByRole('banner').getByText(a.nickname, { exact: true }));
  await pageB.reload();
  await shows(pageB.getByRole('banner').getByText(b.nickname, { exact: true }));
  expect(await pageA.getByText(b.nickname).count()).toBe(0);
  await screenshot(pageA, 'session-after-reload');
  // Signed-in requests work on the restored session: the profile comes from the server.
  await pageA.getByRole('link', { name: 'Profile', exact: true }).click();
  await shows(pageA.getByLabel('Nickname', { exact: true }));
  expect(await pageA.getByLabel('Nickname', { exact: true }).inputValue()).toBe(a.nickname);
  expect(JSON.stringify(await readableByScripts(pageA))).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);

  // Log out clears the cookie; a reload stays signed out.
  await pageA.getByRole('button', { name: 'Log out', exact: true }).click();
  await shows(pageA.getByRole('heading', { name: 'Log in', exact: true }));
  expect(await refreshCookie(contextA)).toBeUndefined();
  await pageA.reload();
  await shows(pageA.getByRole('heading', { name: 'Log in', exact: true }));
  // The other person's session is untouched.
  await pageB.reload();
  await shows(pageB.getByRole('banner').getByText(b.nickname, { exact: true }));
});

test('the start-up state while the cookie is traded for a session, and a new tab that shares the session', async () => {
  const context = await web.newContext();
  const page = await context.newPage();
  const person = newPerson('Cy');
  await signUpInBrowser(page, web.app, person);
  // Hold the start-up refresh to see what the app shows meanwhile.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await context.route('**/graphql/session', async (route) => {
    await held;
    await route.continue();
  });
  const second = await context.newPage();
  await second.goto(new URL('chat', web.app).href);
  await shows(second.getByRole('status').filter({ hasText: 'Restoring your session…' }));
  expect(await second.getByRole('heading', { name: 'Log in', exact: true }).count()).toBe(0);
  await screenshot(second, 'session-restoring');
  release();
  await shows(second.getByRole('banner').getByText(person.nickname, { exact: true }));
  await context.unroute('**/graphql/session');
  // Both tabs go on: the first one's next request still works (its access token is its own).
  await page.getByRole('link', { name: 'Profile', exact: true }).click();
  await shows(page.getByLabel('Nickname', { exact: true }));
});

test('the profile form shows the server’s current values, not the ones this tab signed in with', async () => {
  const page = await web.newPage();
  const person = newPerson('Dee');
  await signUpInBrowser(page, web.app, person);
  // Elsewhere (another device, through the graph), the profile changes after this tab signed in.
  const elsewhere = await post(web.stack.routerUrl, LOG_IN, { email: person.email, password: person.password });
  const newer = { nickname: `${person.nickname} B`, bio: 'Changed on my phone' };
  const updated = await post(web.stack.routerUrl, 'mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { nickname } }', { input: newer }, bearer(elsewhere.data!.logIn.accessToken));
  expect(updated.errors).toBeUndefined();

  await page.getByRole('link', { name: 'Profile', exact: true }).click();
  // Not exact: a textarea's text is part of its label's.
  const bio = page.getByLabel('Bio');
  await shows(bio);
  expect(await page.getByLabel('Nickname', { exact: true }).inputValue()).toBe(newer.nickname);
  expect(await bio.inputValue()).toBe(newer.bio);
  // The header follows the server's values too.
  await shows(page.getByRole('banner').getByText(newer.nickname, { exact: true }));
  await screenshot(page, 'session-profile-current');

  // Saving one field keeps the others as the server had them.
  await page.getByLabel('Nickname', { exact: true }).fill(`${person.nickname} C`);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await shows(page.getByRole('status').filter({ hasText: 'Saved.' }));
  const me = await post(web.stack.routerUrl, '{ me { nickname bio } }', {}, bearer(elsewhere.data!.logIn.accessToken));
  expect(me.data).toEqual({ me: { nickname: `${person.nickname} C`, bio: newer.bio } });
});

import { randomUUID } from 'node:crypto';
import type { Page, Request } from 'playwright-core';
import { bearer, post } from '@dorandoran/test-support/graphql';
import { startStack, type Stack } from '@dorandoran/test-support/stack';
import { LOG_IN, REFRESH, signUp } from '@dorandoran/test-support/users';
import { eventually, health } from '@dorandoran/test-support/ws';
import { appUrlOf, cuttableSockets, isOperation, newPerson, screenshot, shows, signUpInBrowser, webAppInChromium, type Person } from './support/browser';

/**
 * The web app in a real Chromium against a real stack: the router serves the built app (web/dist)
 * at `/` and the graph at /graphql. Each test opens its own browser contexts (separate storage,
 * so separate sessions).
 */

const web = webAppInChromium();

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const chatSubscriptions = async () => (await health<{ subscriptions: number }>(web.stack.chatUrl)).subscriptions;
/** Subscriptions the router holds open on subgraphs. */
const routerUpstreams = async (stack: Stack) => (await health<{ subscriptions: { upstreamSubscriptions: number } }>(stack.routerUrl)).subscriptions.upstreamSubscriptions;

const rooms = (page: Page) => page.getByRole('navigation', { name: 'Rooms' });
const roomLink = (page: Page, label: string) => rooms(page).getByRole('link').filter({ hasText: label });
const messages = (page: Page) => page.getByRole('region', { name: 'Messages' });
/** The shown messages from `sender` with this text. */
const message = (page: Page, sender: string, text: string) => messages(page).getByRole('listitem').filter({ hasText: sender }).filter({ hasText: text });

/** Starts a room with these people, each typed and picked from the suggestions. */
async function startChat(page: Page, ...nicknames: string[]): Promise<void> {
  await page.getByRole('link', { name: 'Chat', exact: true }).click();
  for (const nickname of nicknames) {
    await page.getByRole('combobox', { name: 'People' }).fill(nickname);
    await page.getByRole('option').filter({ hasText: nickname }).click();
  }
  await page.getByRole('button', { name: 'Start chat', exact: true }).click();
}

/** The texts of the shown messages, oldest first. */
const shownTexts = (page: Page) => messages(page).locator('.message .text').allInnerTexts();

async function openRoom(page: Page, label: string): Promise<void> {
  await shows(roomLink(page, label));
  await roomLink(page, label).first().click();
  await shows(messages(page));
}

async function sendMessage(page: Page, text: string): Promise<void> {
  await messages(page).getByRole('textbox', { name: 'Message' }).fill(text);
  await messages(page).getByRole('button', { name: 'Send', exact: true }).click();
}

describe('the web app in Chromium', () => {
  test('two people chat live: direct room by nickname, optimistic send, live delivery both ways, unread count', async () => {
    const [pageA, pageB] = [await web.newPage(), await web.newPage()];
    const a = newPerson('Ann');
    const b = newPerson('Ben');
    // B signs up in a window of their own while A looks at the forms.
    const bSignedUp = signUpInBrowser(pageB, web.app, b);
    bSignedUp.catch(() => {}); // awaited below; a failure of A's first steps must not leave it unhandled

    // Signed out, `/` is the log-in form, which links to the sign-up form.
    await pageA.goto(web.app);
    await shows(pageA.getByRole('heading', { name: 'Log in', exact: true }));
    await shows(pageA.getByLabel('Email', { exact: true }));
    await shows(pageA.getByLabel('Password', { exact: true }));
    await screenshot(pageA, 'log-in');
    await pageA.getByRole('link', { name: 'Sign up', exact: true }).click();
    await shows(pageA.getByRole('heading', { name: 'Sign up', exact: true }));
    await shows(pageA.getByLabel('Nickname', { exact: true }));
    expect(new URL(pageA.url()).pathname).toBe('/signup');
    await screenshot(pageA, 'sign-up');

    await signUpInBrowser(pageA, web.app, a);
    await bSignedUp;

    // B's chat page is open before the room exists; A starts a direct room with B's nickname and
    // it is in A's list, named after B, and arrives in B's list live, named after A, nothing unread.
    await pageB.goto(new URL('chat', web.app).href);
    // Signed up, both are on the chat page, whose room list follows their rooms.
    await eventually(async () => (await chatSubscriptions()) === 2, 'both room lists subscribed');
    await startChat(pageA, b.nickname);
    await openRoom(pageA, b.nickname);
    await shows(roomLink(pageB, a.nickname));
    expect(await roomLink(pageB, a.nickname).innerText()).not.toMatch(/\bunread\b/);
    // One room-list subscription per page, and A's open room: 3.
    await eventually(async () => (await chatSubscriptions()) === 3, 'both lists and the open room subscribed');

    // A sends: the message shows at once (the server's answer is held back 1.5 s), and stays, once.
    let releaseSend = () => {};
    const held = new Promise<void>((resolve) => (releaseSend = resolve));
    await pageA.route('**/graphql', async (route) => {
      if (isOperation(route.request(), 'SendMessage')) await Promise.race([held, delay(1500)]);
      await route.fallback();
    });
    const confirmed = pageA.waitForResponse((response) => isOperation(response.request(), 'SendMessage'));
    await sendMessage(pageA, 'hello B');
    await shows(message(pageA, a.nickname, 'hello B'), 1000);
    releaseSend();
    expect((await confirmed).status()).toBe(200);
    await pageA.unroute('**/graphql');
    await delay(500); // the subscription's copy of the same message arrives too
    expect(await message(pageA, a.nickname, 'hello B').count()).toBe(1);
    expect(await messages(pageA).getByRole('alert').count()).toBe(0);

    // B, without a reload: the room's link counts the message as unread.
    await shows(roomLink(pageB, a.nickname).filter({ hasText: '1 unread' }));
    await screenshot(pageB, 'chat-unread');
    await openRoom(pageB, a.nickname);
    await shows(message(pageB, a.nickname, 'hello B'));

    // B answers: it shows in B's room at once and in A's room live.
    await sendMessage(pageB, 'hi A');
    await shows(message(pageB, b.nickname, 'hi A'), 1000);
    await shows(message(pageA, b.nickname, 'hi A'), 5000);

    // And A's next message reaches B's open room live.
    await eventually(async () => (await chatSubscriptions()) === 4, 'both lists and both open rooms subscribed');
    await sendMessage(pageA, 'how are you?');
    await shows(message(pageB, a.nickname, 'how are you?'), 5000);

    for (const page of [pageA, pageB]) expect(await shownTexts(page)).toEqual(['hello B', 'hi A', 'how are you?']);
    await screenshot(pageA, 'chat-a');
    await screenshot(pageB, 'chat-b');
  });

  test('messages sent while a reader\'s connection was down show once the app reconnects, in order and once, without a reload', async () => {
    const [pageA, pageB] = [await web.newPage(), await web.newPage()];
    const sockets = await cuttableSockets(pageB);
    const [a, b] = [newPerson('Kai'), newPerson('Lia')];
    await Promise.all([signUpInBrowser(pageA, web.app, a), signUpInBrowser(pageB, web.app, b)]);
    await startChat(pageA, b.nickname);
    await openRoom(pageA, b.nickname);
    await pageB.goto(new URL('chat', web.app).href);
    await openRoom(pageB, a.nickname);
    await eventually(async () => (await chatSubscriptions()) === 4, 'both lists and both open rooms subscribed');
    await pageB.evaluate('window.__keptOpen = true');
    await sendMessage(pageA, 'before the cut');
    await shows(message(pageB, a.nickname, 'before the cut'), 5000);

    await sockets.cut();
    await eventually(async () => (await chatSubscriptions()) === 2, "B's subscriptions ended with its connection");
    for (const text of ['while B was away', 'and a second one']) {
      const confirmed = pageA.waitForResponse((response) => isOperation(response.request(), 'SendMessage'));
      await sendMessage(pageA, text);
      expect((await confirmed).status()).toBe(200);
    }
    sockets.restore();

    // graphql-ws retries within seconds; the room fetches what its subscription missed.
    await shows(message(pageB, a.nickname, 'and a second one'), 20_000);
    await eventually(async () => (await chatSubscriptions()) === 4, "B's list and room subscribed again", 10_000);
    await sendMessage(pageA, 'after the return');
    await shows(message(pageB, a.nickname, 'after the return'), 5000);
    expect(await shownTexts(pageB)).toEqual(['before the cut', 'while B was away', 'and a second one', 'after the return']);
    expect(await pageB.evaluate<boolean>('window.__keptOpen === true')).toBe(true);
  });

  test('a group room started with two nicknames and a title: both others list it by title and get its messages live', async () => {
    const [pageA, pageB, pageC] = [await web.newPage(), await web.newPage(), await web.newPage()];
    const [a, b, c] = [newPerson('Ada'), newPerson('Bea'), newPerson('Cal')];
    await Promise.all([signUpInBrowser(pageA, web.app, a), signUpInBrowser(pageB, web.app, b), signUpInBrowser(pageC, web.app, c)]);
    const title = `Hiking ${a.nickname.split(' ')[1]}`;

    // A nickname typed in lower case still suggests the person.
    await pageA.getByRole('link', { name: 'Chat', exact: true }).click();
    const people = pageA.getByRole('combobox', { name: 'People' });
    await people.fill(b.nickname.toLowerCase());
    await pageA.getByRole('option').filter({ hasText: b.nickname }).click();
    await people.fill(c.nickname);
    await pageA.getByRole('option').filter({ hasText: c.nickname }).click();
    await pageA.getByRole('textbox', { name: 'Group title' }).fill(title);
    await pageA.getByRole('button', { name: 'Start chat', exact: true }).click();
    await shows(messages(pageA));
    await shows(roomLink(pageA, title));

    for (const page of [pageB, pageC]) {
      await page.goto(new URL('chat', web.app).href);
      await openRoom(page, title);
    }
    await eventually(async () => (await chatSubscriptions()) === 6, 'the three lists and the three open rooms subscribed');
    await sendMessage(pageA, 'who brings the map?');
    await shows(message(pageB, a.nickname, 'who brings the map?'), 5000);
    await shows(message(pageC, a.nickname, 'who brings the map?'), 5000);
    await sendMessage(pageC, 'I do');
    await shows(message(pageA, c.nickname, 'I do'), 5000);
    await shows(message(pageB, c.nickname, 'I do'), 5000);
    await screenshot(pageB, 'chat-group');
  });

  test('starting a room with a nickname nobody has (on a phone) says so and opens no room', async () => {
    const page = await web.newPage();
    await signUpInBrowser(page, web.app, newPerson('Noa'));
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Chat', exact: true }).click();
    await page.getByRole('combobox', { name: 'People' }).fill('Nobody by this name 7f3a');
    // Once the search settles the hint says nobody matches; it must neither cover Start chat nor move it when the box loses focus.
    await shows(page.getByRole('status').filter({ hasText: 'Nobody else\'s nickname starts with "Nobody by this name 7f3a".' }));
    await screenshot(page, 'chat-nobody-matches-phone');
    await page.getByRole('button', { name: 'Start chat', exact: true }).click({ timeout: 5000 });
    await shows(page.getByRole('alert'));
    expect(await page.getByRole('alert').innerText()).toBe('Nobody is called "Nobody by this name 7f3a".');
    expect(await messages(page).count()).toBe(0);
    expect(new URL(page.url()).pathname).toBe('/chat');
  });

  test('the profile: nickname, avatar URL and bio are saved to the graph; a bad avatar URL shows the graph\'s reason and keeps the rest', async () => {
    const page = await web.newPage();
    const person = newPerson('Ivy');
    await signUpInBrowser(page, web.app, person);
    await page.getByRole('banner').getByRole('link', { name: 'Profile', exact: true }).click();
    const field = (name: string) => page.getByRole('textbox', { name, exact: true });
    await shows(field('Nickname'));

    await field('Avatar URL').fill('ftp://example.com/me.png');
    await field('Bio').fill('Likes hiking.');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await shows(page.getByRole('alert'));
    expect(await page.getByRole('alert').innerText()).toBe('The avatar URL must use http or https, not ftp.');
    // Nothing typed is lost: the form still holds it, to be corrected.
    expect(await field('Bio').inputValue()).toBe('Likes hiking.');

    const renamed = `${person.nickname} II`;
    await field('Nickname').fill(renamed);
    await field('Avatar URL').fill('https://example.com/ivy.png');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await shows(page.getByRole('status').filter({ hasText: 'Saved.' }));
    expect(await page.getByRole('alert').count()).toBe(0);
    await shows(page.getByRole('banner').getByText(renamed, { exact: true }));

    // Signed out and in again, the graph gives back what was saved.
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await page.getByLabel('Email', { exact: true }).fill(person.email);
    await page.getByLabel('Password', { exact: true }).fill(person.password);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await shows(page.getByRole('banner').getByText(renamed, { exact: true }));
    await page.getByRole('banner').getByRole('link', { name: 'Profile', exact: true }).click();
    await shows(field('Nickname'));
    expect({ nickname: await field('Nickname').inputValue(), avatarUrl: await field('Avatar URL').inputValue(), bio: await field('Bio').inputValue() }).toEqual({
      nickname: renamed,
      avatarUrl: 'https://example.com/ivy.png',
      bio: 'Likes hiking.',
    });
  });

  test('a long history pages backwards with "Load older messages", each message once and in order', async () => {
    const reader = newPerson('Pia');
    const page = await web.newPage();
    await signUpInBrowser(page, web.app, reader);
    const writer = await signUp(web.stack, { nickname: newPerson('Gus').nickname });
    const asWriter = async (query: string, variables: Record<string, unknown>) => {
      const response = await post(web.stack.routerUrl, query, variables, writer.headers);
      if (response.errors) throw new Error(JSON.stringify(response.errors));
      return response.data!;
    };
    const found = await asWriter('query($n: String!) { usersByNickname(nickname: $n) { id nickname } }', { n: reader.nickname });
    const readerId = (found.usersByNickname as { id: string; nickname: string }[]).find((user) => user.nickname === reader.nickname)!.id;
    const roomId = (await asWriter('mutation($input: CreateChatRoomInput!) { createChatRoom(input: $input) { id } }', { input: { kind: 'DIRECT', memberIds: [readerId] } }))
      .createChatRoom.id as string;
    const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }';
    for (let batch = 0; batch < 8; batch++) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => asWriter(SEND, { input: { roomId, text: `line ${batch * 10 + i}`, clientMessageId: randomUUID() } })));
    }
    const history = await asWriter('query($id: ID!) { chatRoom(id: $id) { messages(last: 100) { edges { node { text } } } } }', { id: roomId });
    const inServerOrder = (history.chatRoom.messages.edges as { node: { text: string } }[]).map((edge) => edge.node.text);
    expect(inServerOrder).toHaveLength(80);

    await page.goto(new URL('chat', web.app).href);
    await openRoom(page, writer.nickname);
    await shows(message(page, writer.nickname, inServerOrder[79]));
    const older = messages(page).getByRole('button', { name: 'Load older messages' });
    await shows(older);
    expect(await messages(page).getByRole('listitem').count()).toBeLessThan(80);
    for (let clicks = 0; (await older.count()) > 0; clicks++) {
      expect(clicks).toBeLessThan(80);
      const before = await messages(page).getByRole('listitem').count();
      await older.click();
      // The next page arrives (more messages), or the button goes when there are no more.
      const deadline = Date.now() + 5000;
      while ((await messages(page).getByRole('listitem').count()) === before && (await older.count()) > 0) {
        if (Date.now() > deadline) throw new Error(`"Load older messages" showed nothing more (${before} messages shown)`);
        await delay(50);
      }
    }
    const shown = (await messages(page).getByRole('listitem').allInnerTexts()).map((text) => /line \d+/.exec(text)?.[0]);
    expect(shown).toEqual(inServerOrder);
  });

  test('a wrong password shows the graph\'s message and stays on the log-in form', async () => {
    const person = await signUp(web.stack, { nickname: newPerson('Wes').nickname });
    const answer = await post(web.stack.routerUrl, LOG_IN, { email: person.email, password: 'not the password' });
    const graphSays = answer.errors?.[0]?.message;
    expect(graphSays).toBeTruthy();

    const page = await web.newPage();
    await page.goto(web.app);
    await page.getByLabel('Email', { exact: true }).fill(person.email);
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await shows(page.getByRole('alert'));
    expect(await page.getByRole('alert').innerText()).toContain(graphSays);
    await shows(page.getByRole('heading', { name: 'Log in', exact: true }));
    expect(await page.getByRole('button', { name: 'Log out' }).count()).toBe(0);
    await screenshot(page, 'log-in-wrong-password');
  });

  test('a forgotten password: the emailed code and a new password sign in; a wrong code shows the graph\'s reason', async () => {
    const person = await signUp(web.stack, { nickname: newPerson('Fay').nickname });
    const page = await web.newPage();
    await page.goto(web.app);
    await page.getByRole('link', { name: 'Forgot your password?', exact: true }).click();
    await shows(page.getByRole('heading', { name: 'Reset password', exact: true }));
    await page.getByLabel('Email', { exact: true }).fill(person.email);
    await page.getByRole('button', { name: 'Send a code', exact: true }).click();
    await shows(page.getByRole('status').filter({ hasText: 'a 6-digit code is on its way' }));
    await eventually(() => web.stack.mail.some((mail) => mail.to === person.email), 'the reset mail was sent');
    const code = /\b(\d{6})\b/.exec(web.stack.mail.filter((mail) => mail.to === person.email).at(-1)!.text)![1];
    await screenshot(page, 'reset-password');

    await page.getByLabel('Code', { exact: true }).fill(code === '000000' ? '111111' : '000000');
    await page.getByLabel('New password', { exact: true }).fill('a brand new secret 7');
    await page.getByRole('button', { name: 'Set the new password', exact: true }).click();
    await shows(page.getByRole('alert'));
    expect(await page.getByRole('alert').innerText()).toContain('The code is wrong, used or expired.');
    expect(await page.getByRole('button', { name: 'Log out' }).count()).toBe(0);

    await page.getByLabel('Code', { exact: true }).fill(code);
    await page.getByRole('button', { name: 'Set the new password', exact: true }).click();
    await shows(page.getByRole('banner').getByText(person.nickname, { exact: true }));
    await shows(page.getByRole('button', { name: 'Log out', exact: true }));
    // The old password no longer signs in; the new one does.
    expect((await post(web.stack.routerUrl, LOG_IN, { email: person.email, password: person.password })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await post(web.stack.routerUrl, LOG_IN, { email: person.email, password: 'a brand new secret 7' })).errors).toBeUndefined();
  });

  test('changing the password in the profile: a wrong current password is refused, the right one keeps this session', async () => {
    const page = await web.newPage();
    const person = newPerson('Gil');
    await signUpInBrowser(page, web.app, person);
    await page.getByRole('banner').getByRole('link', { name: 'Profile', exact: true }).click();
    const form = page.getByRole('form', { name: 'Password', exact: true });
    await shows(form);
    await form.getByLabel('Current password', { exact: true }).fill('not my password');
    await form.getByLabel('New password', { exact: true }).fill('another secret 99');
    await form.getByRole('button', { name: 'Change password', exact: true }).click();
    await shows(form.getByRole('alert'));
    expect(await form.getByRole('alert').innerText()).toBe('The current password is wrong.');

    await form.getByLabel('Current password', { exact: true }).fill(person.password);
    await form.getByRole('button', { name: 'Change password', exact: true }).click();
    await shows(form.getByRole('status').filter({ hasText: 'Password changed' }));
    expect(await form.getByRole('alert').count()).toBe(0);
    // This session goes on: the chat page still loads.
    await page.getByRole('banner').getByRole('link', { name: 'Chat', exact: true }).click();
    await shows(page.getByRole('combobox', { name: 'People' }));
    expect(await page.getByRole('alert').count()).toBe(0);

    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await page.getByLabel('Email', { exact: true }).fill(person.email);
    await page.getByLabel('Password', { exact: true }).fill('another secret 99');
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await shows(page.getByRole('button', { name: 'Log out', exact: true }));
  });

  test('the session survives a reload', async () => {
    const page = await web.newPage();
    const person = newPerson('Rae');
    await signUpInBrowser(page, web.app, person);
    await page.reload();
    await shows(page.getByRole('button', { name: 'Log out', exact: true }));
    await shows(page.getByRole('banner').getByText(person.nickname, { exact: true }));
    await shows(page.getByRole('link', { name: 'Chat', exact: true }));
    expect(await page.getByRole('heading', { name: 'Log in', exact: true }).count()).toBe(0);
  });

  test('a tab closed while its refresh was on the way does not sign the person out: the next tab is signed in', async () => {
    const context = await web.newContext();
    const person = newPerson('Noa');
    const first = await context.newPage();
    await signUpInBrowser(first, web.app, person);
    await first.close();

    // A tab's refresh reaches the router, which rotates the cookie's token, but the tab is closed
    // before the answer (and the new cookie in it) gets back to the browser.
    const [cookie] = (await context.cookies(new URL('graphql/session', web.app).href)).filter((candidate) => candidate.name === 'dd_refresh');
    expect(cookie?.httpOnly).toBe(true);
    const lost = await post(web.stack.routerUrl, REFRESH, { token: cookie.value });
    expect(lost.data?.refreshSession.user.id).toBeDefined();

    // The cookie still holds the token the router has just rotated; the next tab comes back with it.
    const next = await context.newPage();
    await next.goto(new URL('chat', web.app).href);
    await shows(next.getByRole('banner').getByText(person.nickname, { exact: true }));
    await shows(next.getByRole('combobox', { name: 'People' }));
    expect(await next.getByRole('heading', { name: 'Log in', exact: true }).count()).toBe(0);
    expect(await next.getByRole('alert').count()).toBe(0);
    // And stays signed in: the token it was given refreshes again.
    await next.reload();
    await shows(next.getByRole('banner').getByText(person.nickname, { exact: true }));
    await shows(next.getByRole('combobox', { name: 'People' }));
    expect(await next.getByRole('alert').count()).toBe(0);
  });

  test('log out returns to the log-in form, and a reload stays signed out', async () => {
    const page = await web.newPage();
    const person = newPerson('Lou');
    await signUpInBrowser(page, web.app, person);
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await shows(page.getByRole('heading', { name: 'Log in', exact: true }));
    expect(await page.getByRole('button', { name: 'Log out' }).count()).toBe(0);

    await page.reload();
    await shows(page.getByRole('heading', { name: 'Log in', exact: true }));
    expect(await page.getByRole('button', { name: 'Log out' }).count()).toBe(0);
    expect(await page.getByText(person.nickname).count()).toBe(0);
    // The app's pages ask for the form too.
    await page.goto(new URL('chat', web.app).href);
    await shows(page.getByRole('heading', { name: 'Log in', exact: true }));
  });
});

describe('the web app with 3-second access tokens', () => {
  let shortStack: Stack;
  let shortApp: string;

  beforeAll(async () => {
    shortStack = await startStack({ ACCESS_TOKEN_TTL: '3s' });
    shortApp = appUrlOf(shortStack.routerUrl);
  }, 180_000); // as the file's own stack (test/browser/support/browser.ts)
  afterAll(() => shortStack?.close());

  test('an expired token is refreshed once for the requests that found it expired, which then succeed', async () => {
    const context = await web.newContext();
    const refreshes: Request[] = [];
    const refreshedAt: number[] = [];
    context.on('request', (request) => {
      if (!isOperation(request, 'RefreshSession')) return;
      refreshes.push(request);
      refreshedAt.push(Date.now());
    });

    // A signs up in the browser; B (through the graph, freshly logged in each time: B's tokens last 3 s too)
    // starts a room with A and writes in it.
    const a: Person = newPerson('Tia');
    const first = await context.newPage();
    await signUpInBrowser(first, shortApp, a);
    const b = await signUp(shortStack, { nickname: newPerson('Ike').nickname });
    const asB = async (query: string, variables: Record<string, unknown>) => {
      const login = await post(shortStack.routerUrl, LOG_IN, { email: b.email, password: b.password });
      const response = await post(shortStack.routerUrl, query, variables, bearer(login.data!.logIn.accessToken));
      if (response.errors) throw new Error(JSON.stringify(response.errors));
      return response.data!;
    };
    const found = await asB('query($n: String!) { usersByNickname(nickname: $n) { id nickname } }', { n: a.nickname });
    const aId = (found.usersByNickname as { id: string; nickname: string }[]).find((user) => user.nickname === a.nickname)!.id;
    const created = await asB('mutation($input: CreateChatRoomInput!) { createChatRoom(input: $input) { id } }', { input: { kind: 'DIRECT', memberIds: [aId] } });
    const roomId = created.createChatRoom.id as string;
    await asB('mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }', { input: { roomId, text: 'before expiry', clientMessageId: randomUUID() } });

    // With no page open (no socket to refresh it early), the stored access token expires.
    await first.close();
    await delay(4500);
    refreshes.length = 0;
    refreshedAt.length = 0;

    // The room page asks for the rooms and the messages at once and subscribes: all on the expired token.
    const page = await context.newPage();
    await page.goto(new URL(`chat/${roomId}`, shortApp).href);
    await shows(message(page, b.nickname, 'before expiry'));
    await shows(roomLink(page, b.nickname));
    await delay(300); // a second, late refresh would be on its way by now
    expect(await page.getByRole('alert').allInnerTexts()).toEqual([]);
    // One refresh for all the requests that found the token expired. On a loaded machine the page can
    // take longer than the new token's 3 s to show, and its expiry then brings a refresh of its own:
    // never one on the heels of another.
    expect(refreshes.length).toBeGreaterThanOrEqual(1);
    const gaps = refreshedAt.slice(1).map((at, index) => at - refreshedAt[index]);
    expect(gaps.filter((gap) => gap < 1000)).toEqual([]);
    const refreshed = await refreshes[0].response();
    expect(refreshed?.status()).toBe(200);
    expect(await page.getByRole('button', { name: 'Log out', exact: true }).count()).toBe(1);

    // The refreshed session works (within its 3 s): a message goes out and the server confirms it.
    const confirmed = page.waitForResponse((response) => isOperation(response.request(), 'SendMessage') && response.status() === 200);
    await sendMessage(page, 'after refresh');
    await shows(message(page, a.nickname, 'after refresh'));
    await confirmed;
    await shows(message(page, a.nickname, 'after refresh'));
    expect(await page.getByRole('alert').count()).toBe(0);
  });
});

// Last: it stops the chat subgraph of the file's stack (the tests before it have closed their pages).
describe('the web app with the chat service down', () => {
  let downStack: Stack;
  let downApp: string;

  beforeAll(() => {
    downStack = web.stack;
    downApp = web.app;
  });

  test("the chat page says in the router's words that chat is unavailable; the session and the store keep working", async () => {
    const page = await web.newPage();
    const person = newPerson('Ola');
    await signUpInBrowser(page, downApp, person);
    // Off the chat page (no live feed) while chat stops: see the wait below.
    await page.getByRole('banner').getByRole('link', { name: 'Store', exact: true }).click();
    await eventually(async () => (await routerUpstreams(downStack)) === 0, 'the chat page\'s feed ended');
    await downStack.stopService('chat');

    // What the router says about the rooms now, asked directly with a signed-in user.
    const probe = await signUp(downStack, { nickname: newPerson('Pax').nickname });
    const answer = await post(downStack.routerUrl, 'query { chatRooms(first: 5) { edges { node { id } } } }', {}, probe.headers);
    const routerSays = (answer.errors ?? []).map((error) => error.message).join(' ');
    expect(routerSays).toMatch(/\bchat\b/);

    await page.goto(new URL('chat', downApp).href);
    await shows(page.getByRole('alert'));
    expect(await page.getByRole('alert').allInnerTexts()).toEqual([routerSays]);
    // An unreachable service is not an ended session: still signed in, no refresh loop, no log-in form.
    expect(await page.getByRole('button', { name: 'Log out', exact: true }).count()).toBe(1);
    expect(await page.getByRole('heading', { name: 'Log in', exact: true }).count()).toBe(0);
    await screenshot(page, 'chat-unavailable');

    // Closing the page while the room list's feed still waits for chat through the router's
    // retries closes its socket mid-retry: the router lets go of chat for it, and the store still answers.
    const store = await page.context().newPage();
    await page.close();
    await eventually(async () => (await routerUpstreams(downStack)) === 0, 'the router let go of chat for the closed page', 30_000);
    await store.goto(new URL('store', downApp).href);
    await shows(store.getByRole('searchbox', { name: 'Search', exact: true }));
    await shows(store.getByText('No products match.', { exact: true }));
    expect(await store.getByRole('alert').count()).toBe(0);
  });
});

import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { post } from '@dorandoran/test-support/graphql';
import type { Stack } from '@dorandoran/test-support/stack';
import { signUp, type SignedIn } from '@dorandoran/test-support/users';
import { eventually, health } from '@dorandoran/test-support/ws';
import { cuttableSockets, newPerson, screenshot, shows, signUpInBrowser, webAppInChromium } from './support/browser';

/**
 * Chat as people use it, in Chromium against a real stack: rooms that arrive live, a room that
 * opens and stays at its newest message (on a phone too), times and days, the sender's unread
 * numbers, the message box's keys and limit, choosing people by person, and a server that stops
 * and comes back under an open room.
 */

const web = webAppInChromium();

const PHONE = { width: 390, height: 844 };

const rooms = (page: Page) => page.getByRole('navigation', { name: 'Rooms' });
const roomLink = (page: Page, label: string) => rooms(page).getByRole('link').filter({ hasText: label });
const messages = (page: Page) => page.getByRole('region', { name: 'Messages' });
const message = (page: Page, text: string) => messages(page).getByRole('listitem').filter({ hasText: text });
const box = (page: Page) => messages(page).getByRole('textbox', { name: 'Message' });
const shownTexts = (page: Page) => messages(page).locator('.message .text').allInnerTexts();

const chatSubscriptions = async (stack: Stack) => (await health<{ subscriptions: number }>(stack.chatUrl)).subscriptions;

async function as<T = Record<string, any>>(stack: Stack, person: SignedIn, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await post(stack.routerUrl, query, variables, person.headers);
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data as T;
}

const idOf = async (stack: Stack, asker: SignedIn, nickname: string) =>
  (await as<{ usersByNickname: { id: string; nickname: string }[] }>(stack, asker, 'query($n: String!) { usersByNickname(nickname: $n) { id nickname } }', { n: nickname }))
    .usersByNickname.find((user) => user.nickname === nickname)!.id;

const createRoom = async (stack: Stack, creator: SignedIn, memberIds: string[]) =>
  (await as(stack, creator, 'mutation($input: CreateChatRoomInput!) { createChatRoom(input: $input) { id } }', { input: { kind: 'DIRECT', memberIds } })).createChatRoom
    .id as string;

const sendAs = (stack: Stack, sender: SignedIn, roomId: string, text: string) =>
  as(stack, sender, 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }', { input: { roomId, text, clientMessageId: randomUUID() } });

async function pickPerson(page: Page, nickname: string, hasText: string = nickname): Promise<void> {
  await page.getByRole('combobox', { name: 'People' }).fill(nickname);
  await page.getByRole('option').filter({ hasText }).click();
}

async function openRoom(page: Page, label: string): Promise<void> {
  await shows(roomLink(page, label));
  await roomLink(page, label).first().click();
  await shows(box(page));
}

/** Whether the element is on screen: inside the window and inside the message list's visible part. */
const onScreen = (locator: Locator) =>
  locator.evaluate((element) => {
    const rect = element.getBoundingClientRect();
    const scroller = element.closest('.message-scroll')?.getBoundingClientRect();
    const view = element.ownerDocument.documentElement;
    const inWindow = rect.top >= 0 && rect.bottom <= view.clientHeight && rect.left >= 0 && rect.right <= view.clientWidth;
    return inWindow && (!scroller || (rect.top >= scroller.top - 1 && rect.bottom <= scroller.bottom + 1));
  });

async function phonePage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await web.browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  return { context, page: await context.newPage() };
}

describe('chat in Chromium', () => {
  test('a new room reaches its other members live, without a reload (three people); the time to it is measured', async () => {
    const [pageA, pageB, pageC] = [await web.newPage(), await web.newPage(), await web.newPage()];
    const [a, b, c] = [newPerson('Ari'), newPerson('Bo'), newPerson('Cy')];
    await Promise.all([signUpInBrowser(pageA, web.app, a), signUpInBrowser(pageB, web.app, b), signUpInBrowser(pageC, web.app, c)]);
    await eventually(async () => (await chatSubscriptions(web.stack)) === 3, 'the three room lists subscribed');
    await shows(rooms(pageB).getByText('No rooms yet', { exact: false }));

    const title = `Trip ${a.nickname.split(' ')[1]}`;
    await pickPerson(pageA, b.nickname);
    await pickPerson(pageA, c.nickname);
    await pageA.getByRole('textbox', { name: 'Group title' }).fill(title);
    const createdAt = Date.now();
    await pageA.getByRole('button', { name: 'Start chat', exact: true }).click();
    await Promise.all([shows(roomLink(pageB, title)), shows(roomLink(pageC, title))]);
    const roomShownMs = Date.now() - createdAt;

    await shows(box(pageA));
    await box(pageA).fill('first message');
    const sentAt = Date.now();
    await box(pageA).press('Enter');
    await Promise.all([shows(roomLink(pageB, title).filter({ hasText: 'first message' }).filter({ hasText: '1 unread' })), shows(roomLink(pageC, title).filter({ hasText: 'first message' }))]);
    const messageShownMs = Date.now() - sentAt;
    await screenshot(pageB, 'chat-new-room-live');

    const results = path.resolve(__dirname, '..', '..', 'web', 'test-results');
    await mkdir(results, { recursive: true });
    await writeFile(path.join(results, 'chat-new-room-latency.json'), `${JSON.stringify({ roomShownMs, messageShownMs }, null, 2)}\n`);

    // The list is ordered by activity: a room made with B since goes first, until the trip's next message.
    const other = await signUp(web.stack, { nickname: newPerson('Dee').nickname });
    await createRoom(web.stack, other, [await idOf(web.stack, other, b.nickname)]);
    await shows(roomLink(pageB, other.nickname));
    expect(await rooms(pageB).getByRole('link').first().innerText()).toContain(other.nickname);
    await box(pageA).fill('second');
    await box(pageA).press('Enter');
    await shows(roomLink(pageB, title).filter({ hasText: 'second' }));
    expect(await rooms(pageB).getByRole('link').first().innerText()).toContain(title);
  });

  test('on a phone a room opens at its newest message with the message box on screen, stays there as messages come, and offers a pill when scrolled up', async () => {
    const { context, page } = await phonePage();
    try {
      const reader = newPerson('Pia');
      await signUpInBrowser(page, web.app, reader);
      const writer = await signUp(web.stack, { nickname: newPerson('Gus').nickname });
      const roomId = await createRoom(web.stack, writer, [await idOf(web.stack, writer, reader.nickname)]);
      for (let i = 0; i < 40; i++) await sendAs(web.stack, writer, roomId, `line ${i} ${'of a conversation long enough to wrap on a phone '.repeat(i % 3)}`.trim());

      await page.goto(new URL(`chat/${roomId}`, web.app).href);
      await shows(message(page, 'line 39'));
      expect(await onScreen(message(page, 'line 39'))).toBe(true);
      expect(await onScreen(box(page))).toBe(true);
      // The phone shows the room, not the list beside it; a link goes back to the rooms.
      expect(await rooms(page).isVisible()).toBe(false);
      await shows(page.getByRole('link', { name: '← Rooms' }));
      // The room is the page: nothing below it to scroll to.
      expect(await page.evaluate('document.documentElement.scrollHeight')).toBe(PHONE.height);
      await screenshot(page, 'chat-phone-room');

      // At the end, a new message is followed.
      await sendAs(web.stack, writer, roomId, 'line 40');
      await shows(message(page, 'line 40'));
      await eventually(() => onScreen(message(page, 'line 40')), 'the new message is on screen');

      // Scrolled up, a new message does not pull the reader away: a pill says so and takes them down.
      await messages(page).locator('.message-scroll').evaluate((element) => element.scrollTo({ top: 0 }));
      await eventually(async () => !(await onScreen(message(page, 'line 40'))), 'scrolled up');
      await sendAs(web.stack, writer, roomId, 'line 41');
      const pill = messages(page).getByRole('button', { name: /1 new message/ });
      await shows(pill);
      expect(await onScreen(message(page, 'line 41'))).toBe(false);
      await screenshot(page, 'chat-phone-pill');
      await pill.click();
      await eventually(() => onScreen(message(page, 'line 41')), 'the pill scrolled to the newest message');
      expect(await pill.count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  test('each message has its time under its day; the sender sees how many have not read it, live (three people)', async () => {
    const [pageA, pageB, pageC] = [await web.newPage(), await web.newPage(), await web.newPage()];
    const [a, b, c] = [newPerson('Eun'), newPerson('Fin'), newPerson('Gia')];
    await Promise.all([signUpInBrowser(pageA, web.app, a), signUpInBrowser(pageB, web.app, b), signUpInBrowser(pageC, web.app, c)]);
    const title = `Readers ${a.nickname.split(' ')[1]}`;
    await pickPerson(pageA, b.nickname);
    await pickPerson(pageA, c.nickname);
    await pageA.getByRole('textbox', { name: 'Group title' }).fill(title);
    await pageA.getByRole('button', { name: 'Start chat', exact: true }).click();
    await shows(box(pageA));
    await Promise.all([shows(roomLink(pageB, title)), shows(roomLink(pageC, title))]);

    await box(pageA).fill('who has read this?');
    await box(pageA).press('Enter');
    const mine = message(pageA, 'who has read this?');
    const unread = mine.locator('.unread-count');
    await shows(unread.filter({ hasText: '2' }));

    const time = mine.locator('time');
    const sentAt = await time.getAttribute('datetime');
    expect(Date.now() - Date.parse(sentAt!)).toBeLessThan(60_000);
    expect(await time.innerText()).toMatch(/\d{1,2}:\d{2}/);
    const day = messages(pageA).locator('.day time');
    expect(await day.innerText()).toBe('Today');
    expect(await day.getAttribute('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    await openRoom(pageB, title);
    await shows(unread.filter({ hasText: '1' }), 5000);
    await screenshot(pageA, 'chat-read-numbers');
    await openRoom(pageC, title);
    await eventually(async () => (await unread.count()) === 0, 'the number is gone once everyone has read it');
    // The readers see the time too, and no number on others' messages.
    await shows(message(pageB, 'who has read this?').locator('time'));
    expect(await message(pageB, 'who has read this?').locator('.unread-count').count()).toBe(0);
  });

  test('Enter sends, Shift+Enter starts a new line; a counter near the 4,000-character limit, and nothing over it is sent', async () => {
    const [pageA, pageB] = [await web.newPage(), await web.newPage()];
    const [a, b] = [newPerson('Hal'), newPerson('Ida')];
    await Promise.all([signUpInBrowser(pageA, web.app, a), signUpInBrowser(pageB, web.app, b)]);
    await pickPerson(pageA, b.nickname);
    await pageA.getByRole('button', { name: 'Start chat', exact: true }).click();
    await shows(box(pageA));

    await box(pageA).click();
    await pageA.keyboard.type('line one');
    await pageA.keyboard.press('Shift+Enter');
    await pageA.keyboard.type('line two');
    expect(await box(pageA).inputValue()).toBe('line one\nline two');
    await pageA.keyboard.press('Enter');
    await shows(message(pageA, 'line two'));
    expect(await box(pageA).inputValue()).toBe('');
    await openRoom(pageB, a.nickname);
    await shows(message(pageB, 'line two'));
    expect(await shownTexts(pageB)).toEqual(['line one\nline two']);

    // Enter on an empty box sends nothing.
    await box(pageA).press('Enter');
    const counter = messages(pageA).locator('.counter');
    expect(await counter.count()).toBe(0);

    await box(pageA).fill('a'.repeat(3200));
    await shows(counter);
    expect(await counter.innerText()).toBe('3,200 / 4,000 characters');
    await box(pageA).fill('b'.repeat(4003));
    expect(await counter.innerText()).toBe('4,003 / 4,000 characters: 3 over the limit, shorten it to send.');
    expect(await messages(pageA).getByRole('button', { name: 'Send', exact: true }).isDisabled()).toBe(true);
    await box(pageA).press('Enter');
    expect(await box(pageA).inputValue()).toHaveLength(4003);
    await screenshot(pageA, 'chat-counter-over');

    await box(pageA).fill('c'.repeat(4000));
    await box(pageA).press('Enter');
    await shows(message(pageB, 'c'.repeat(4000)), 5000);
    expect((await shownTexts(pageB)).map((text) => text.length)).toEqual([17, 4000]);
  });

  test('two people with one nickname are both suggested, with their bios, and the one picked is the one in the room', async () => {
    const nickname = `Alice ${randomUUID().slice(0, 6)}`;
    const [baker, runner] = [await signUp(web.stack, { nickname }), await signUp(web.stack, { nickname })];
    const UPDATE = 'mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }';
    await as(web.stack, baker, UPDATE, { input: { bio: 'Bakes bread in Busan every morning' } });
    await as(web.stack, runner, UPDATE, { input: { bio: 'Runs along the Han river in Seoul' } });

    const page = await web.newPage();
    await signUpInBrowser(page, web.app, newPerson('Jo'));
    // Typed and not picked, the nickname means two people: the app asks to choose, and opens nothing.
    await page.getByRole('combobox', { name: 'People' }).fill(nickname);
    const options = page.getByRole('option');
    await shows(options.filter({ hasText: 'Bakes bread' }));
    await shows(options.filter({ hasText: 'Runs along the Han' }));
    expect(await options.filter({ hasText: nickname }).count()).toBe(2);
    await screenshot(page, 'chat-people-suggestions');
    await page.getByRole('combobox', { name: 'People' }).press('Escape');
    await page.getByRole('button', { name: 'Start chat', exact: true }).click();
    await shows(page.getByRole('alert'));
    expect(await page.getByRole('alert').innerText()).toBe(`2 people are called "${nickname}"; pick the one you mean from the suggestions.`);

    await page.getByRole('combobox', { name: 'People' }).fill('');
    await pickPerson(page, nickname, 'Runs along the Han');
    await page.getByRole('button', { name: 'Start chat', exact: true }).click();
    await shows(box(page));
    const ROOMS = '{ chatRooms { edges { node { id members { id } } } } }';
    const runnersRooms = (await as(web.stack, runner, ROOMS)).chatRooms.edges;
    expect(runnersRooms).toHaveLength(1);
    expect(new URL(page.url()).pathname).toBe(`/chat/${runnersRooms[0].node.id}`);
    expect((await as(web.stack, baker, ROOMS)).chatRooms.edges).toHaveLength(0);
  });
});

// Last: it stops the router of the file's stack and starts another on its port (the tests before it
// have closed their pages).
describe('chat with the server stopped and started again under an open room', () => {
  let stack: Stack;
  let app: string;

  beforeAll(() => {
    stack = web.stack;
    app = web.app;
  });

  test('a banner while it is down; an unsent message keeps its text and its retry sends it once; the error goes when the connection is back', async () => {
    const [pageA, pageB] = [await web.newPage(), await web.newPage()];
    const sockets = await cuttableSockets(pageA);
    const [a, b] = [newPerson('Kim'), newPerson('Lee')];
    await Promise.all([signUpInBrowser(pageA, app, a), signUpInBrowser(pageB, app, b)]);
    await pickPerson(pageA, b.nickname);
    await pageA.getByRole('button', { name: 'Start chat', exact: true }).click();
    await shows(box(pageA));
    await openRoom(pageB, a.nickname);
    await eventually(async () => (await chatSubscriptions(stack)) === 4, 'both lists and both rooms live');
    const banner = pageA.getByRole('status').filter({ hasText: 'Connection lost' });

    // The answer to a send is lost on its way back (the message was saved), and so is its live copy
    // (A's socket is down): retrying it with the same clientMessageId returns the saved message, so
    // it shows once, here and for B.
    await sockets.cut();
    await pageA.route('**/graphql', async (route) => {
      if ((route.request().postData() ?? '').includes('"operationName":"SendMessage"')) {
        await route.fetch();
        await route.abort('connectionreset');
      } else await route.fallback();
    });
    await box(pageA).fill('answer lost');
    await box(pageA).press('Enter');
    const lost = message(pageA, 'answer lost');
    await shows(lost.getByRole('button', { name: 'Retry' }));
    await pageA.unroute('**/graphql');
    await lost.getByRole('button', { name: 'Retry' }).click();
    await shows(lost.locator('time'));
    sockets.restore();
    await shows(message(pageB, 'answer lost'));
    await eventually(async () => (await shownTexts(pageA)).filter((text) => text === 'answer lost').length === 1, 'shown once for A');
    expect((await shownTexts(pageB)).filter((text) => text === 'answer lost')).toHaveLength(1);

    await eventually(async () => (await chatSubscriptions(stack)) === 4, 'A is live again');

    // The server stops.
    const port = new URL(stack.routerUrl).port;
    await stack.stopService('router');
    await shows(banner, 10_000);
    await screenshot(pageA, 'chat-connection-lost');
    await box(pageA).fill('sent while the server was down');
    await box(pageA).press('Enter');
    const unsent = message(pageA, 'sent while the server was down');
    await shows(unsent.getByRole('button', { name: 'Retry' }));
    expect(await unsent.innerText()).toContain('Not sent.');
    await shows(messages(pageA).getByRole('alert'));
    await screenshot(pageA, 'chat-not-sent');

    // It starts again on the same address: the banner and the error go by themselves.
    await stack.startRouter({ ROUTER_PORT: port });
    await eventually(async () => (await banner.count()) === 0, 'the banner is gone once the connection is back', 30_000);
    await eventually(async () => (await messages(pageA).getByRole('alert').count()) === 0, 'the error is gone once the connection is back');
    expect(await unsent.innerText()).toContain('Not sent.');
    await unsent.getByRole('button', { name: 'Retry' }).click();
    await shows(unsent.locator('time'));
    await shows(message(pageB, 'sent while the server was down'), 30_000);
    expect(await shownTexts(pageB)).toEqual(['answer lost', 'sent while the server was down']);
    await box(pageB).fill('welcome back');
    await box(pageB).press('Enter');
    await shows(message(pageA, 'welcome back'), 10_000);
    expect(await shownTexts(pageA)).toEqual(['answer lost', 'sent while the server was down', 'welcome back']);
  });
});

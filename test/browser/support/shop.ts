import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { bearer, post } from '@dorandoran/test-support/graphql';
import { signUpAdmin } from '@dorandoran/test-support/users';
import { shows, signUpInBrowser, type Person, type WebAppInChromium } from './browser';

/** What the store's browser tests share: finding the shop's parts of the page, people in roles, test pictures. */

/** The app's money, as formatMoney writes it (ko-KR, KRW): ₩24,000. */
export const won = (amount: number) => new Intl.NumberFormat('ko-KR', { style: 'currency', currency: 'KRW' }).format(amount);

export const nav = (page: Page, name: string) => page.getByRole('banner').getByRole('link', { name, exact: true });
export const adminTab = (page: Page, name: string) => page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name, exact: true });
export const orderStatus = (page: Page) => page.getByRole('region', { name: 'Order', exact: true }).getByLabel('Order status', { exact: true });
export const productCard = (page: Page, name: string) =>
  page.getByRole('list', { name: 'Products' }).getByRole('listitem').filter({ has: page.getByRole('heading', { name, exact: true }) });
/** The cart link in the top bar, with the number of items it holds. */
export const cartLink = (page: Page, items: number) => page.getByRole('banner').getByRole('link', { name: `Cart, ${items} ${items === 1 ? 'item' : 'items'}`, exact: true });

export const CREATE_PRODUCT = 'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }';

/** A new administrator working through the graph, not the browser: runs an operation and returns its data; errors fail the test. */
export async function graphAdmin(web: WebAppInChromium): Promise<((query: string, variables?: Record<string, unknown>) => Promise<Record<string, any>>) & { token: string }> {
  const admin = await signUpAdmin(web.stack);
  const run = async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await post(web.stack.routerUrl, query, variables, bearer(admin.accessToken));
    if (response.errors) throw new Error(JSON.stringify(response.errors));
    return response.data!;
  };
  return Object.assign(run, { token: admin.accessToken });
}

/** Logs in through the app's form (after a log-out, or on a fresh page) and waits for the signed-in header. */
export async function logInInBrowser(page: Page, app: string, person: Person): Promise<void> {
  await page.goto(app);
  await shows(page.getByRole('heading', { name: 'Log in', exact: true }));
  await page.getByLabel('Email', { exact: true }).fill(person.email);
  await page.getByLabel('Password', { exact: true }).fill(person.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await shows(page.getByRole('button', { name: 'Log out', exact: true }));
}

/** Signs up in the browser, is made an administrator, and logs in again for a token with the admin scope. */
export async function adminInBrowser(web: WebAppInChromium, page: Page, person: Person): Promise<void> {
  await signUpInBrowser(page, web.app, person);
  expect(await nav(page, 'Admin').count()).toBe(0);
  await web.stack.grantAdmin(person.email);
  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await logInInBrowser(page, web.app, person);
  await shows(nav(page, 'Admin'));
}

/** Fills the cart's delivery address. */
export async function fillAddress(page: Page, recipient = 'Kim Mina'): Promise<void> {
  const cart = page.getByRole('region', { name: 'Cart' });
  await cart.getByRole('textbox', { name: 'Recipient', exact: true }).fill(recipient);
  await cart.getByRole('textbox', { name: 'Phone', exact: true }).fill('010-1234-5678');
  await cart.getByRole('textbox', { name: 'Postal code', exact: true }).fill('04524');
  await cart.getByRole('textbox', { name: 'Address', exact: true }).fill('110 Sejong-daero, Jung-gu, Seoul');
}

/** From any page: opens the store, finds the product with Search, puts `quantity` in the cart, places the order; returns the order's id. */
export async function buy(page: Page, product: string, quantity: number, recipient?: string): Promise<string> {
  await nav(page, 'Store').click();
  await page.getByRole('searchbox', { name: 'Search', exact: true }).fill(product);
  await shows(productCard(page, product));
  for (let i = 0; i < quantity; i++) await page.getByRole('button', { name: `Add ${product} to cart`, exact: true }).click();
  await shows(cartLink(page, quantity));
  await cartLink(page, quantity).click();
  await shows(page.getByLabel(`Quantity of ${product}`, { exact: true }));
  await fillAddress(page, recipient);
  await page.getByRole('button', { name: 'Place order', exact: true }).click();
  await page.waitForURL(/\/orders\/[^/]+$/);
  await shows(orderStatus(page));
  return new URL(page.url()).pathname.split('/').pop()!;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * An RGB PNG of `width`×`height`: a colour gradient, or with `noise` random pixels (which do not
 * compress, so the file is about 3 bytes a pixel: a picture too big to send as it is).
 */
export function pngImage(width: number, height: number, noise = false): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.alloc((width * 3 + 1) * height);
  const random = noise ? randomBytes(width * height * 3) : undefined;
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      const at = row + 1 + x * 3;
      if (random) {
        random.copy(rows, at, (y * width + x) * 3, (y * width + x) * 3 + 3);
      } else {
        rows.set([Math.round((255 * x) / width), Math.round((255 * y) / height), 160], at);
      }
    }
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

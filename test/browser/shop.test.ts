import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { post } from '@dorandoran/test-support/graphql';
import { eventually, health } from '@dorandoran/test-support/ws';
import { isOperation, newPerson, screenshot, shows, signUpInBrowser, webAppInChromium, type Person } from './support/browser';
import { adminInBrowser, adminTab, buy, cartLink, CREATE_PRODUCT, fillAddress, graphAdmin, logInInBrowser, nav, orderStatus, pngImage, productCard } from './support/shop';

/**
 * The shop as people use it, in Chromium against a real stack: pictures attached by an
 * administrator and shown on the product page, sold-out shown live to other shoppers, a cart per
 * person on a shared browser, quantities and the address checked in words (on a phone too),
 * confirmation before cancelling, and live stock caught up after the router restarts.
 */

// One test restarts the store: its embedded database must outlive that.
const web = webAppInChromium({ restartableStore: true });
const tag = () => newPerson('x').nickname.split(' ')[1];

/** Store subscriptions being served now (order status and product changes). */
const storeSubscriptions = async () => (await health<{ subscriptions: number }>(web.stack.storeUrl)).subscriptions;
const stockOf = (page: Page, product: string) => productCard(page, product).getByLabel(`Stock of ${product}`, { exact: true });
/** A marker on the window: still there later means the page was never reloaded. (Expressions as text: no DOM types here.) */
const keepOpen = (page: Page) => page.evaluate('window.__keptOpen = true');
const stillOpen = (page: Page) => page.evaluate<boolean>('window.__keptOpen === true');

/** Counts the frames a page's sockets receive that end a feed because a subgraph stayed unavailable. Set before the page opens its socket. */
function unavailableFrames(page: Page): { count: number } {
  const frames = { count: 0 };
  page.on('websocket', (socket) =>
    socket.on('framereceived', ({ payload }) => {
      if (String(payload).includes('"SERVICE_UNAVAILABLE"')) frames.count++;
    }),
  );
  return frames;
}

async function openStore(page: Page, search: string) {
  await nav(page, 'Store').click();
  await page.getByRole('searchbox', { name: 'Search', exact: true }).fill(search);
}

describe('the shop in Chromium', () => {
  test('an administrator attaches pictures (a text file called .png is refused, a big photo is scaled down); the product page shows it; the last one sold shows "Sold out" live elsewhere', async () => {
    const asAdmin = await graphAdmin(web);
    const suffix = tag();
    const teapot = `Last teapot ${suffix}`;
    const mug = `Blue mug ${suffix}`;
    const { createProduct: created } = await asAdmin(CREATE_PRODUCT, {
      input: { name: teapot, price: 38000, stock: 1, category: 'Kitchen', description: 'Cast iron, 800 ml.\nWith a stainless steel infuser.' },
    });
    await asAdmin(CREATE_PRODUCT, { input: { name: mug, price: 12000, stock: 5, category: 'Kitchen' } });

    const [adminPage, danPage, evePage] = [await web.newPage(), await web.newPage(), await web.newPage()];
    await Promise.all([adminInBrowser(web, adminPage, newPerson('Ada')), signUpInBrowser(danPage, web.app, newPerson('Dan')), signUpInBrowser(evePage, web.app, newPerson('Eve'))]);

    await nav(adminPage, 'Admin').click();
    await adminTab(adminPage, 'Products').click();
    const row = adminPage.getByRole('form', { name: teapot, exact: true });
    await shows(row);
    const picker = row.getByLabel(`Add picture of ${teapot}`);
    // A text file named like a picture: the browser sends it as it is, and the store reads its bytes.
    await picker.setInputFiles({ name: 'teapot.png', mimeType: 'image/png', buffer: Buffer.from('just some notes, not a picture\n') });
    await shows(row.getByRole('alert').filter({ hasText: 'not a JPEG, PNG or WebP image' }));
    expect((await asAdmin('query($id: ID!) { product(id: $id) { imageUrl } }', { id: created.id })).product.imageUrl).toBeNull();
    await screenshot(adminPage, 'shop-admin-picture-refused');

    // A 900×900 photo of noise (2.4 MB, far over 150 KiB) is scaled down and re-encoded in the browser before it is sent.
    const photo = pngImage(900, 900, true);
    expect(photo.length).toBeGreaterThan(2_000_000);
    const sent = adminPage.waitForRequest((request) => isOperation(request, 'SetProductImage'));
    await picker.setInputFiles({ name: 'teapot-photo.png', mimeType: 'image/png', buffer: photo });
    expect((await sent).postData()!.length).toBeLessThan(256 * 1024);
    await shows(row.getByRole('img', { name: teapot }), 20_000);
    const imageUrl: string = (await asAdmin('query($id: ID!) { product(id: $id) { imageUrl } }', { id: created.id })).product.imageUrl;
    const served = await fetch(new URL(imageUrl, web.app));
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/webp');
    expect(served.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await served.arrayBuffer()).byteLength).toBeLessThanOrEqual(150 * 1024);
    await screenshot(adminPage, 'shop-admin-picture');

    // Dan watches the store; Eve opens the teapot's page, with its picture and description.
    await openStore(danPage, suffix);
    await shows(productCard(danPage, teapot));
    await shows(productCard(danPage, mug));
    expect(await stockOf(danPage, teapot).innerText()).toBe('1 in stock');
    await keepOpen(danPage);
    await openStore(evePage, suffix);
    await productCard(evePage, teapot).getByRole('link').click();
    await evePage.waitForURL(new RegExp(`/products/${created.id}$`));
    const page = evePage.getByRole('article', { name: teapot });
    await shows(page.getByRole('img', { name: teapot }));
    await eventually(() => evePage.evaluate<boolean>(`(() => { const img = document.querySelector('article img.product-image'); return img.complete && img.naturalWidth > 0; })()`), 'the picture loaded');
    expect(await page.innerText()).toContain('With a stainless steel infuser.');
    await screenshot(evePage, 'shop-product-page');

    const before = await storeSubscriptions();
    await page.getByRole('button', { name: 'Add to cart', exact: true }).click();
    await shows(page.getByText('All 1 in stock are in your cart.'));
    await cartLink(evePage, 1).click();
    await fillAddress(evePage, 'Eve');
    await evePage.getByRole('button', { name: 'Place order', exact: true }).click();
    await evePage.waitForURL(/\/orders\/[^/]+$/);
    expect(before).toBeGreaterThanOrEqual(1);

    // The teapot is gone: Dan's open store page says so without a reload.
    const sold = performance.now();
    await shows(stockOf(danPage, teapot).getByText('Sold out', { exact: true }), 5000);
    const soldOutMs = Math.round(performance.now() - sold);
    expect(await productCard(danPage, teapot).getByRole('button', { name: `Add ${teapot} to cart` }).isDisabled()).toBe(true);
    // The administrator sets the mug's stock to 0 in Admin → Products: sold out on Dan's page too.
    const mugRow = adminPage.getByRole('form', { name: mug, exact: true });
    await mugRow.getByLabel(`Stock of ${mug}`, { exact: true }).fill('0');
    await mugRow.getByRole('button', { name: `Save ${mug}`, exact: true }).click();
    await shows(stockOf(danPage, mug).getByText('Sold out', { exact: true }), 5000);
    expect(await stillOpen(danPage)).toBe(true);
    // Kept beside the screenshots: how long a sold-out took to reach another shopper's open page.
    await writeFile(path.join(path.dirname(await screenshot(danPage, 'shop-sold-out-live')), 'shop-sold-out-latency.json'), JSON.stringify({ soldOutMs }) + '\n');
  });

  test('each person has their own cart on a shared browser: Bob logs out, Carol signs in in the same window and finds hers empty; the cart link is on every page', async () => {
    const asAdmin = await graphAdmin(web);
    const product = `Linen tote ${tag()}`;
    await asAdmin(CREATE_PRODUCT, { input: { name: product, price: 24000, stock: 9 } });
    const page = await web.newPage();
    const bob = newPerson('Bob');
    const carol = newPerson('Carol');
    await signUpInBrowser(page, web.app, carol);
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await signUpInBrowser(page, web.app, bob);
    await openStore(page, product);
    await shows(productCard(page, product));
    for (let i = 0; i < 2; i++) await page.getByRole('button', { name: `Add ${product} to cart`, exact: true }).click();
    for (const where of ['Chat', 'My orders', 'Profile', 'Store']) {
      await nav(page, where).click();
      await shows(cartLink(page, 2));
    }
    // A reload keeps Bob's cart.
    await page.reload();
    await shows(cartLink(page, 2));

    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await logInInBrowser(page, web.app, carol);
    await shows(cartLink(page, 0));
    await cartLink(page, 0).click();
    await shows(page.getByRole('region', { name: 'Cart' }).getByText('Your cart is empty.'));
    expect(await page.getByText(product).count()).toBe(0);
    expect(await page.evaluate<string[]>('Object.keys(localStorage).filter((key) => key.startsWith("dorandoran.cart"))')).toEqual([]);
    await screenshot(page, 'shop-cart-next-person');
  });

  test('on a phone (390×844) the cart checks quantities and the address in words before anything is sent; removing a line can be undone', async () => {
    const asAdmin = await graphAdmin(web);
    const product = `Ceramic mug ${tag()}`;
    const other = `Notebook ${tag()}`;
    await asAdmin(CREATE_PRODUCT, { input: { name: product, price: 12000, stock: 38 } });
    await asAdmin(CREATE_PRODUCT, { input: { name: other, price: 6500, stock: 60 } });
    const page = await web.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await signUpInBrowser(page, web.app, newPerson('Pho'));
    await page.goto(new URL('store', web.app).href);
    for (const name of [product, other]) {
      await page.getByRole('searchbox', { name: 'Search', exact: true }).fill(name);
      await shows(productCard(page, name));
      await page.getByRole('button', { name: `Add ${name} to cart`, exact: true }).click();
    }
    await cartLink(page, 2).click();
    const cart = page.getByRole('region', { name: 'Cart' });
    const quantity = cart.getByLabel(`Quantity of ${product}`, { exact: true });
    await shows(quantity);
    await shows(cart.getByText('38 in stock'));
    let placeAttempts = 0;
    page.on('request', (request) => void (isOperation(request, 'PlaceOrder') && placeAttempts++));

    for (const [typed, says] of [
      ['1.5', 'Enter a whole number, such as 1 or 2.'],
      ['0', 'Order at least 1, or remove the item.'],
      ['40', 'Only 38 left; enter 38 or fewer.'],
      ['', 'Enter how many you want (at least 1), or remove the item.'],
    ]) {
      await quantity.fill(typed);
      await shows(cart.getByRole('alert').filter({ hasText: says }));
      // The line stays, whatever is typed: only Remove takes it out.
      expect(await cart.getByRole('listitem', { name: product }).count()).toBe(1);
    }
    await screenshot(page, 'shop-cart-phone-quantity');
    await fillAddress(page);
    await cart.getByRole('button', { name: 'Place order', exact: true }).click();
    await shows(cart.getByRole('alert').filter({ hasText: `${product}: Enter how many you want` }));
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(391);

    await quantity.fill('3');
    await cart.getByRole('textbox', { name: 'Recipient', exact: true }).fill('');
    await cart.getByRole('button', { name: 'Place order', exact: true }).click();
    await shows(cart.getByRole('alert').filter({ hasText: 'Fill in the delivery recipient.' }));
    await cart.getByRole('textbox', { name: 'Address', exact: true }).fill('x'.repeat(150));
    expect((await cart.getByRole('textbox', { name: 'Address', exact: true }).inputValue()).length).toBe(100);
    expect(placeAttempts).toBe(0);

    await cart.getByRole('button', { name: `Remove ${other}`, exact: true }).click();
    await shows(cart.getByRole('status').filter({ hasText: `Removed ${other}.` }));
    await shows(cartLink(page, 3));
    await screenshot(page, 'shop-cart-phone-removed');
    await cart.getByRole('button', { name: 'Undo', exact: true }).click();
    await shows(cart.getByLabel(`Quantity of ${other}`, { exact: true }));
    await shows(cartLink(page, 4));

    await cart.getByRole('textbox', { name: 'Recipient', exact: true }).fill('Kim Mina');
    await cart.getByRole('button', { name: 'Place order', exact: true }).click();
    await page.waitForURL(/\/orders\/[^/]+$/);
    await shows(orderStatus(page).getByText('Awaiting payment', { exact: true }));
    const order = page.getByRole('region', { name: 'Order', exact: true });
    expect(await order.innerText()).toContain(`${product} × 3`);
    expect(await order.getByLabel('Delivery address').innerText()).toContain('Kim Mina');
    await screenshot(page, 'shop-order-phone');
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(391);
    expect(placeAttempts).toBe(1);
  });

  test('more than the stock, found out at checkout: the refusal names the product and what is left, never an id or GraphQL text', async () => {
    const asAdmin = await graphAdmin(web);
    const product = `Fountain pen ${tag()}`;
    const { createProduct } = await asAdmin(CREATE_PRODUCT, { input: { name: product, price: 45000, stock: 3 } });
    const page = await web.newPage();
    await signUpInBrowser(page, web.app, newPerson('Gil'));
    await openStore(page, product);
    await shows(productCard(page, product));
    for (let i = 0; i < 3; i++) await page.getByRole('button', { name: `Add ${product} to cart`, exact: true }).click();
    await cartLink(page, 3).click();
    await fillAddress(page);
    // Someone else buys two meanwhile.
    await asAdmin('mutation($id: ID!) { updateProduct(id: $id, input: { stock: 1 }) { id } }', { id: createProduct.id });
    const cart = page.getByRole('region', { name: 'Cart' });
    await cart.getByRole('button', { name: 'Place order', exact: true }).click();
    await shows(cart.getByRole('alert').filter({ hasText: 'Only 1 left' }));
    const alerts = (await cart.getByRole('alert').allInnerTexts()).join(' ');
    expect(alerts).not.toContain(createProduct.id);
    expect(alerts).not.toMatch(/Variable|\$input|GraphQL/);
    await screenshot(page, 'shop-cart-over-stock');
  });

  test('cancelling asks first: the buyer keeps the order with "Keep the order"; the administrator confirms and the payment is refunded, live on the buyer\'s page', async () => {
    const asAdmin = await graphAdmin(web);
    const product = `Earbuds ${tag()}`;
    await asAdmin(CREATE_PRODUCT, { input: { name: product, price: 89000, stock: 4 } });
    const [buyerPage, adminPage] = [await web.newPage(), await web.newPage()];
    const buyer: Person = newPerson('Han');
    await Promise.all([signUpInBrowser(buyerPage, web.app, buyer), adminInBrowser(web, adminPage, newPerson('Ida'))]);
    await openStore(buyerPage, product);
    await shows(productCard(buyerPage, product));
    await buyerPage.getByRole('button', { name: `Add ${product} to cart`, exact: true }).click();
    await cartLink(buyerPage, 1).click();
    await fillAddress(buyerPage, 'Han Seoyeon');
    await buyerPage.getByRole('button', { name: 'Place order', exact: true }).click();
    await buyerPage.waitForURL(/\/orders\/[^/]+$/);
    const order = buyerPage.getByRole('region', { name: 'Order', exact: true });
    await order.getByRole('button', { name: /^Pay / }).click();
    await shows(orderStatus(buyerPage).getByText('Paid', { exact: true }));

    await order.getByRole('button', { name: 'Cancel order', exact: true }).click();
    const ask = order.getByRole('alertdialog', { name: 'Cancel order' });
    await shows(ask.getByText('Cancel this order? Your payment will be refunded to your card.'));
    await screenshot(buyerPage, 'shop-buyer-cancel-confirm');
    await ask.getByRole('button', { name: 'Keep the order', exact: true }).click();
    expect(await orderStatus(buyerPage).innerText()).toBe('Paid');
    await eventually(async () => (await storeSubscriptions()) >= 1, "the buyer's order page subscribed");

    await nav(adminPage, 'Admin').click();
    await adminTab(adminPage, 'Orders').click();
    const adminOrder = adminPage.getByRole('listitem', { name: `Order of ${buyer.nickname}` });
    await shows(adminOrder);
    expect(await adminOrder.getByLabel('Delivery address').innerText()).toContain('Han Seoyeon');
    await adminOrder.getByRole('button', { name: 'Cancel', exact: true }).click();
    const confirm = adminOrder.getByRole('alertdialog', { name: 'Cancel' });
    await shows(confirm.getByText(/The payment is refunded to the buyer and the stock goes back\./));
    await screenshot(adminPage, 'shop-admin-cancel-confirm');
    expect(await orderStatus(buyerPage).innerText()).toBe('Paid');
    await confirm.getByRole('button', { name: 'Yes, cancel the order', exact: true }).click();
    await shows(adminOrder.locator('.status').getByText('Refunded', { exact: true }));
    await shows(orderStatus(buyerPage).getByText('Refunded', { exact: true }), 5000);
    await shows(order.getByRole('listitem').filter({ hasText: 'Refunded, by the store staff' }));
    expect(web.stack.payments.calls.refunds).toBeGreaterThanOrEqual(1);
    await screenshot(buyerPage, 'shop-order-refunded');
  });

  test('the store restarts between payment and cancel: the administrator still refunds the order, and the buyer\'s open page shows it', async () => {
    const asAdmin = await graphAdmin(web);
    const product = `Tea set ${tag()}`;
    await asAdmin(CREATE_PRODUCT, { input: { name: product, price: 52000, stock: 3 } });
    const [buyerPage, adminPage] = [await web.newPage(), await web.newPage()];
    const buyer: Person = newPerson('Kim');
    await Promise.all([signUpInBrowser(buyerPage, web.app, buyer), adminInBrowser(web, adminPage, newPerson('Lee'))]);
    await buy(buyerPage, product, 1, 'Kim Jiwoo');
    const order = buyerPage.getByRole('region', { name: 'Order', exact: true });
    await order.getByRole('button', { name: /^Pay / }).click();
    await shows(orderStatus(buyerPage).getByText('Paid', { exact: true }));
    await keepOpen(buyerPage);

    // The charge lives in the store's database, not in the sandbox's memory that a restart loses.
    await web.stack.restartStore();
    expect(web.stack.payments.calls.refunds).toBe(0);

    await nav(adminPage, 'Admin').click();
    await adminTab(adminPage, 'Orders').click();
    const adminOrder = adminPage.getByRole('listitem', { name: `Order of ${buyer.nickname}` });
    await shows(adminOrder);
    await adminOrder.getByRole('button', { name: 'Cancel', exact: true }).click();
    await adminOrder.getByRole('alertdialog', { name: 'Cancel' }).getByRole('button', { name: 'Yes, cancel the order', exact: true }).click();
    await shows(adminOrder.locator('.status').getByText('Refunded', { exact: true }));
    expect(await adminOrder.innerText()).not.toMatch(/refused|NOT_FOUND/);
    expect(web.stack.payments.calls.refunds).toBe(1);
    // The buyer's page, whose live feed the restart cut, catches up without a reload.
    await shows(orderStatus(buyerPage).getByText('Refunded', { exact: true }), 30_000);
    expect(await stillOpen(buyerPage)).toBe(true);
    await screenshot(buyerPage, 'shop-refunded-after-store-restart');
  });

  test("the store stays down past the router's retries: the buyer's open order and store pages follow it again once it is back, without a reload", async () => {
    const asAdmin = await graphAdmin(web);
    const product = `Kettle ${tag()}`;
    const { createProduct } = await asAdmin(CREATE_PRODUCT, { input: { name: product, price: 41000, stock: 5 } });
    const orderPage = await web.newPage();
    const orderFeedEnded = unavailableFrames(orderPage);
    await signUpInBrowser(orderPage, web.app, newPerson('Yun'));
    const orderId = await buy(orderPage, product, 1, 'Yun Seo');
    await orderPage.getByRole('region', { name: 'Order', exact: true }).getByRole('button', { name: /^Pay / }).click();
    await shows(orderStatus(orderPage).getByText('Paid', { exact: true }));
    // The same person's store page in a second tab, with a socket of its own.
    const storePage = await orderPage.context().newPage();
    const stockFeedEnded = unavailableFrames(storePage);
    await storePage.goto(new URL('store', web.app).href);
    await storePage.getByRole('searchbox', { name: 'Search', exact: true }).fill(product);
    await shows(stockOf(storePage, product).getByText('4 in stock', { exact: true }));
    await eventually(async () => (await storeSubscriptions()) === 2, 'both pages follow the store');
    await Promise.all([keepOpen(orderPage), keepOpen(storePage)]);

    await web.stack.restartStore(() =>
      eventually(async () => orderFeedEnded.count > 0 && stockFeedEnded.count > 0, 'the router ended both feeds: the store stayed unavailable', 60_000),
    );
    await eventually(async () => (await storeSubscriptions()) === 2, 'both pages subscribed again', 30_000);
    await asAdmin('mutation($id: ID!) { shipOrder(orderId: $id) { status } }', { id: orderId });
    await asAdmin('mutation($id: ID!) { updateProduct(id: $id, input: { stock: 0 }) { id } }', { id: createProduct.id });

    await shows(orderStatus(orderPage).getByText('Shipped', { exact: true }), 10_000);
    await shows(stockOf(storePage, product).getByText('Sold out', { exact: true }), 10_000);
    expect([await stillOpen(orderPage), await stillOpen(storePage)]).toEqual([true, true]);
    await screenshot(orderPage, 'shop-order-followed-after-store-outage');
  });

  test('the router stops and starts again under an open store page: stock changed meanwhile shows once the page reconnects', async () => {
    const asAdmin = await graphAdmin(web);
    const product = `Desk lamp ${tag()}`;
    const { createProduct } = await asAdmin(CREATE_PRODUCT, { input: { name: product, price: 30000, stock: 2 } });
    const page = await web.newPage();
    await signUpInBrowser(page, web.app, newPerson('Jin'));
    await openStore(page, product);
    await shows(stockOf(page, product).getByText('2 in stock', { exact: true }));
    await keepOpen(page);

    const routerPort = new URL(web.stack.routerUrl).port;
    await web.stack.stopService('router');
    // Straight to the store, as the router would send it: nobody's page hears of it now.
    const direct = await post(
      web.stack.storeUrl,
      'mutation($id: ID!) { updateProduct(id: $id, input: { stock: 0 }) { stock } }',
      { id: createProduct.id },
      { 'x-router-secret': web.stack.routerSecret, authorization: `Bearer ${asAdmin.token}` },
    );
    expect(direct.data?.updateProduct.stock).toBe(0);
    await web.stack.startRouter({ ROUTER_PORT: routerPort });

    await shows(stockOf(page, product).getByText('Sold out', { exact: true }), 30_000);
    expect(await stillOpen(page)).toBe(true);
    await screenshot(page, 'shop-after-router-restart');
    // Live again: the next change arrives over the new connection.
    await asAdmin('mutation($id: ID!) { updateProduct(id: $id, input: { stock: 7 }) { id } }', { id: createProduct.id });
    await shows(stockOf(page, product).getByText('7 in stock', { exact: true }), 10_000);
  });
});

import type { Page } from 'playwright-core';
import { post } from '@dorandoran/test-support/graphql';
import { signUp } from '@dorandoran/test-support/users';
import { eventually, health } from '@dorandoran/test-support/ws';
import { cuttableSockets, isOperation, newPerson, screenshot, shows, signUpInBrowser, webAppInChromium } from './support/browser';
import { adminInBrowser as adminSignedUp, adminTab, buy, cartLink, CREATE_PRODUCT, fillAddress, graphAdmin as newGraphAdmin, nav, orderStatus, productCard, won } from './support/shop';

/**
 * The store in a real Chromium against a real stack: an administrator's products and fulfilment in
 * the admin pages, a buyer's cart, checkout and sandbox payment, and the order page following the
 * order's status live (orderStatusChanged) while the administrator ships and completes it.
 */

const web = webAppInChromium();

/** Order subscriptions the store is serving now. */
const orderSubscriptions = async () => (await health<{ subscriptions: number }>(web.stack.storeUrl)).subscriptions;

const graphAdmin = () => newGraphAdmin(web);
const adminInBrowser = (page: Page, person: ReturnType<typeof newPerson>) => adminSignedUp(web, page, person);

describe('the store in Chromium', () => {
  test('an administrator ships and completes a paid order, and the buyer\'s open order page follows live; another buyer cannot see it', async () => {
    const [adminPage, buyerPage, otherPage] = [await web.newPage(), await web.newPage(), await web.newPage()];
    const admin = newPerson('Ada');
    const buyer = newPerson('Bo');
    const other = newPerson('Cy');
    const product = `Teapot ${admin.nickname.split(' ')[1]}`;
    await Promise.all([adminInBrowser(adminPage, admin), signUpInBrowser(buyerPage, web.app, buyer), signUpInBrowser(otherPage, web.app, other)]);

    // The administrator creates the product in the admin pages.
    await nav(adminPage, 'Admin').click();
    await adminTab(adminPage, 'Products').click();
    const form = adminPage.locator('form').filter({ has: adminPage.getByRole('heading', { name: 'New product', exact: true }) });
    await shows(form);
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill(product);
    await form.getByRole('spinbutton', { name: 'Price (KRW)', exact: true }).fill('12000');
    await form.getByRole('spinbutton', { name: 'Stock', exact: true }).fill('5');
    await form.getByRole('textbox', { name: 'Category', exact: true }).fill('Kitchen');
    await form.getByRole('button', { name: 'Create product', exact: true }).click();
    await shows(adminPage.getByRole('button', { name: `Save ${product}`, exact: true }));
    expect(await adminPage.getByLabel(`Stock of ${product}`, { exact: true }).inputValue()).toBe('5');
    expect(await form.getByRole('textbox', { name: 'Name', exact: true }).inputValue()).toBe('');
    await screenshot(adminPage, 'admin-products');

    // The buyer finds it with Search and puts 2 in the cart.
    await nav(buyerPage, 'Store').click();
    await buyerPage.getByRole('searchbox', { name: 'Search', exact: true }).fill(product);
    await shows(productCard(buyerPage, product));
    expect(await buyerPage.getByRole('list', { name: 'Products' }).getByRole('listitem').count()).toBe(1);
    const card = productCard(buyerPage, product);
    expect(await card.innerText()).toContain(won(12000));
    expect(await card.innerText()).toContain('5 in stock');
    expect(await card.innerText()).toContain('Kitchen');
    for (let i = 0; i < 2; i++) await buyerPage.getByRole('button', { name: `Add ${product} to cart`, exact: true }).click();
    await shows(cartLink(buyerPage, 2));
    await screenshot(buyerPage, 'store');

    await cartLink(buyerPage, 2).click();
    const cart = buyerPage.getByRole('region', { name: 'Cart' });
    await shows(cart.getByLabel(`Quantity of ${product}`, { exact: true }));
    expect(await cart.getByLabel(`Quantity of ${product}`, { exact: true }).inputValue()).toBe('2');
    expect(await cart.innerText()).toContain(`Total ${won(24000)}`);
    await fillAddress(buyerPage, `Bo's home`);
    await screenshot(buyerPage, 'cart');

    // Placing the order opens its page; paying with the approving card makes it PAID.
    await cart.getByRole('button', { name: 'Place order', exact: true }).click();
    await buyerPage.waitForURL(/\/orders\/[^/]+$/);
    const orderUrl = buyerPage.url();
    const order = buyerPage.getByRole('region', { name: 'Order', exact: true });
    await shows(orderStatus(buyerPage));
    expect(await orderStatus(buyerPage).innerText()).toBe('Awaiting payment');
    expect(await order.getByLabel('Delivery address').innerText()).toContain(`Bo's home`);
    expect(await order.innerText()).toContain(`${product} × 2`);
    await order.getByRole('combobox', { name: /^Card\b/ }).selectOption('sandbox-card-approve');
    await order.getByRole('button', { name: `Pay ${won(24000)}`, exact: true }).click();
    await shows(orderStatus(buyerPage).getByText('Paid', { exact: true }));
    expect(await order.getByRole('button', { name: /^Pay / }).count()).toBe(0);
    await shows(order.getByRole('button', { name: 'Cancel order', exact: true }));
    await screenshot(buyerPage, 'order-paid');

    // From here the buyer's page is only watched: a marker on the window shows it was never reloaded.
    // (Expressions as text: this project's TypeScript has no DOM types.)
    await buyerPage.evaluate('window.__keptOpen = true');
    const stillOpen = () => buyerPage.evaluate<boolean>('window.__keptOpen === true');
    await eventually(async () => (await orderSubscriptions()) >= 1, "the buyer's order page subscribed to the order");

    // The administrator ships it from Admin → Orders; the buyer's page shows SHIPPED live.
    await adminTab(adminPage, 'Orders').click();
    const adminOrder = adminPage.getByRole('region', { name: 'Orders' }).getByRole('listitem').filter({ has: adminPage.getByRole('link', { name: buyer.nickname, exact: true }) });
    const adminStatus = (status: string) => adminOrder.filter({ has: adminPage.locator('.status').getByText(status, { exact: true }) });
    await shows(adminStatus('Paid'));
    // The administrator ships to the address the buyer gave.
    expect(await adminOrder.getByLabel('Delivery address').innerText()).toContain(`Bo's home`);
    expect(await adminOrder.count()).toBe(1);
    expect(await adminOrder.innerText()).toContain(`${product} × 2`);
    expect(await adminOrder.innerText()).toContain(won(24000));
    expect(new URL(await adminOrder.getByRole('link', { name: buyer.nickname, exact: true }).getAttribute('href') ?? '', web.app).href).toBe(orderUrl);
    await screenshot(adminPage, 'admin-orders');
    await adminOrder.getByRole('button', { name: 'Ship', exact: true }).click();
    await shows(adminStatus('Shipped'));
    await shows(orderStatus(buyerPage).getByText('Shipped', { exact: true }), 5000);
    // A shipped order can no longer be cancelled by its buyer: the page stops offering it.
    await shows(order.getByRole('listitem').filter({ hasText: 'Shipped, by the store staff' }));
    expect(await order.getByRole('button', { name: 'Cancel order', exact: true }).count()).toBe(0);
    expect(await stillOpen()).toBe(true);
    await screenshot(buyerPage, 'order-shipped');

    // Completed by the administrator: COMPLETED live too.
    await adminOrder.getByRole('button', { name: 'Mark delivered', exact: true }).click();
    await shows(adminStatus('Delivered'));
    await shows(orderStatus(buyerPage).getByText('Delivered', { exact: true }), 5000);
    await shows(order.getByRole('listitem').filter({ hasText: 'Delivered, by the store staff' }));
    // No status code anywhere a person reads.
    expect(await order.innerText()).not.toMatch(/PENDING_PAYMENT|SHIPPED|COMPLETED|\bPAID\b/);
    expect(await stillOpen()).toBe(true);
    expect(await buyerPage.getByRole('alert').count()).toBe(0);
    expect(await adminOrder.getByRole('button').count()).toBe(0);

    // My orders lists it, completed, and leads back to its page.
    await nav(buyerPage, 'My orders').click();
    const myOrder = buyerPage.getByRole('region', { name: 'My orders' }).getByRole('link').filter({ hasText: `${product} × 2` });
    await shows(myOrder);
    expect(await myOrder.innerText()).toContain('Delivered');
    expect(await myOrder.innerText()).toContain(won(24000));
    await screenshot(buyerPage, 'my-orders');
    await myOrder.click();
    await buyerPage.waitForURL(orderUrl);
    await shows(orderStatus(buyerPage).getByText('Delivered', { exact: true }));

    // Another buyer with the order's address sees no order.
    await otherPage.goto(orderUrl);
    await shows(otherPage.getByRole('alert'));
    expect(await otherPage.getByRole('alert').innerText()).toMatch(/There is no such order, or it is not yours\.|Only the buyer and administrators can see order/);
    expect(await otherPage.getByRole('region', { name: 'Order', exact: true }).count()).toBe(0);
    expect(await otherPage.getByText(product).count()).toBe(0);
    await screenshot(otherPage, 'order-not-yours');

    // The rest of the administration: users (the buyer, with Suspend), jobs (one run, the daily report).
    await adminTab(adminPage, 'Users').click();
    await adminPage.getByRole('searchbox', { name: 'Search users' }).fill(buyer.nickname);
    await shows(adminPage.getByRole('button', { name: `Suspend ${buyer.nickname}`, exact: true }));
    expect(await adminPage.getByRole('region', { name: 'Users' }).getByRole('row').filter({ hasText: buyer.email }).count()).toBe(1);
    await screenshot(adminPage, 'admin-users');

    await adminTab(adminPage, 'Jobs').click();
    const jobs = adminPage.getByRole('region', { name: 'Jobs' });
    await shows(jobs.getByRole('button', { name: 'Run session-cleanup', exact: true }));
    await jobs.getByRole('button', { name: 'Run session-cleanup', exact: true }).click();
    await shows(jobs.locator('ol.runs > li').filter({ hasText: 'session-cleanup' }).filter({ hasText: 'manual' }));
    await jobs.getByRole('button', { name: 'Show report', exact: true }).click();
    await shows(jobs.getByText(/No report for that day\.|Orders placed/));
    expect(await jobs.getByRole('alert').count()).toBe(0);
    await screenshot(adminPage, 'admin-jobs');

    await nav(buyerPage, 'Profile').click();
    await shows(buyerPage.getByRole('heading', { name: 'Profile', exact: true }));
    expect(await buyerPage.getByRole('textbox', { name: 'Nickname', exact: true }).inputValue()).toBe(buyer.nickname);
    await screenshot(buyerPage, 'profile');
  });

  test('a declined card shows the graph\'s reason, and the page does not offer paying an order the store has ended', async () => {
    const asAdmin = await graphAdmin();
    const product = `Kettle ${newPerson('K').nickname.split(' ')[1]}`;
    await asAdmin(CREATE_PRODUCT, { input: { name: product, price: 8000, stock: 3 } });

    const page = await web.newPage();
    await signUpInBrowser(page, web.app, newPerson('Dee'));
    await buy(page, product, 1);
    const order = page.getByRole('region', { name: 'Order', exact: true });
    await order.getByRole('combobox', { name: /^Card\b/ }).selectOption('sandbox-card-decline');
    const paid = page.waitForResponse((response) => isOperation(response.request(), 'PayOrder'));
    await order.getByRole('button', { name: `Pay ${won(8000)}`, exact: true }).click();
    const answer = (await (await paid).json()) as { data?: { payOrder: { status: string; payment: { failureReason: string | null } } } };
    // The store's answer: the order ends as PAYMENT_FAILED (final; its stock goes back), with the provider's reason.
    expect(answer.data?.payOrder.status).toBe('PAYMENT_FAILED');
    const graphSays = answer.data!.payOrder.payment.failureReason!;
    expect(graphSays).toBeTruthy();

    await shows(orderStatus(page).getByText('Payment failed', { exact: true }));
    await shows(page.getByRole('alert').filter({ hasText: graphSays }));
    await screenshot(page, 'order-declined');
    // PAYMENT_FAILED is final in the store (payOrder answers CONFLICT "can no longer be paid; place a new order"): no Pay button, no Cancel.
    expect(await order.getByRole('button', { name: /^Pay / }).count()).toBe(0);
    expect(await order.getByRole('button', { name: 'Cancel order', exact: true }).count()).toBe(0);
  });

  test("a status change made while the buyer's connection was down shows once the app reconnects", async () => {
    const asAdmin = await graphAdmin();
    const product = `Lamp ${newPerson('L').nickname.split(' ')[1]}`;
    await asAdmin(CREATE_PRODUCT, { input: { name: product, price: 30000, stock: 2 } });

    const page = await web.newPage();
    const sockets = await cuttableSockets(page);
    await signUpInBrowser(page, web.app, newPerson('Mo'));
    const orderId = await buy(page, product, 1);
    const order = page.getByRole('region', { name: 'Order', exact: true });
    await order.getByRole('combobox', { name: /^Card\b/ }).selectOption('sandbox-card-approve');
    await order.getByRole('button', { name: `Pay ${won(30000)}`, exact: true }).click();
    await shows(orderStatus(page).getByText('Paid', { exact: true }));
    await eventually(async () => (await orderSubscriptions()) === 1, 'the order page subscribed');
    await page.evaluate('window.__keptOpen = true');

    await sockets.cut();
    await eventually(async () => (await orderSubscriptions()) === 0, "the page's subscription ended with its connection");
    await asAdmin('mutation($id: ID!) { shipOrder(orderId: $id) { status } }', { id: orderId });
    sockets.restore();

    await shows(orderStatus(page).getByText('Shipped', { exact: true }), 20_000);
    await shows(order.getByRole('listitem').filter({ hasText: 'Shipped, by the store staff' }));
    expect(await page.evaluate<boolean>('window.__keptOpen === true')).toBe(true);
    // Live again: the next change arrives over the new connection.
    await eventually(async () => (await orderSubscriptions()) === 1, 'the order page subscribed again', 10_000);
    await asAdmin('mutation($id: ID!) { completeOrder(orderId: $id) { status } }', { id: orderId });
    await shows(orderStatus(page).getByText('Delivered', { exact: true }), 5000);
  });

  test("an administrator's price edit leaves alone the stock an order took meanwhile; a too-long description shows the graph's reason", async () => {
    const asAdmin = await graphAdmin();
    const product = `Vase ${newPerson('V').nickname.split(' ')[1]}`;
    const { createProduct } = await asAdmin(CREATE_PRODUCT, { input: { name: product, price: 20000, stock: 5 } });
    const stored = async () => (await asAdmin('query($id: ID!) { product(id: $id) { price { amount } stock description } }', { id: createProduct.id })).product;

    const page = await web.newPage();
    await adminInBrowser(page, newPerson('Eda'));
    await nav(page, 'Admin').click();
    await adminTab(page, 'Products').click();
    const row = page.getByRole('form', { name: product, exact: true });
    await shows(row);
    expect(await row.getByLabel(`Stock of ${product}`, { exact: true }).inputValue()).toBe('5');

    // A buyer orders 2 while the page is open: the store has 3 left, the page still says 5.
    const buyer = await signUp(web.stack, { nickname: newPerson('Buy').nickname });
    const placed = await post(
      web.stack.routerUrl,
      'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      { input: { items: [{ productId: createProduct.id, quantity: 2 }], idempotencyKey: `vase-${Date.now()}` } },
      buyer.headers,
    );
    expect(placed.errors).toBeUndefined();

    await row.getByLabel(`Price of ${product}`, { exact: true }).fill('15000');
    const saved = page.waitForResponse((response) => isOperation(response.request(), 'UpdateProduct'));
    await row.getByRole('button', { name: `Save ${product}`, exact: true }).click();
    expect((await saved).status()).toBe(200);
    expect(await stored()).toMatchObject({ price: { amount: 15000 }, stock: 3 });
    // The row shows what the store answered: the new price, and the stock the order left.
    await shows(row.getByText(won(15000), { exact: true }));
    expect(await row.getByLabel(`Stock of ${product}`, { exact: true }).inputValue()).toBe('3');

    await row.getByLabel(`Description of ${product}`, { exact: true }).fill('x'.repeat(2001));
    await row.getByLabel(`Stock of ${product}`, { exact: true }).fill('9');
    await row.getByRole('button', { name: `Save ${product}`, exact: true }).click();
    await shows(row.getByRole('alert'));
    expect(await row.getByRole('alert').innerText()).toBe('description takes at most 2000 characters; this one has 2001.');
    // Nothing of the refused edit was stored, and the form still holds it to be corrected.
    expect(await stored()).toMatchObject({ stock: 3, description: null });
    expect(await row.getByLabel(`Stock of ${product}`, { exact: true }).inputValue()).toBe('9');
  });

  test('a shelf longer than a page: "Load more products" shows the rest, each product once', async () => {
    const asAdmin = await graphAdmin();
    const category = `Bulk ${newPerson('B').nickname.split(' ')[1]}`;
    const names = Array.from({ length: 45 }, (_, i) => `Card ${String(i + 1).padStart(2, '0')} ${category}`);
    for (let start = 0; start < names.length; start += 15) {
      await Promise.all(names.slice(start, start + 15).map((name) => asAdmin(CREATE_PRODUCT, { input: { name, price: 1000, stock: 1, category } })));
    }

    const page = await web.newPage();
    await signUpInBrowser(page, web.app, newPerson('Pat'));
    await nav(page, 'Store').click();
    await page.getByRole('textbox', { name: 'Category', exact: true }).fill(category);
    const shelf = page.getByRole('list', { name: 'Products' }).getByRole('listitem');
    const more = page.getByRole('button', { name: 'Load more products', exact: true });
    await shows(more);
    expect(await shelf.count()).toBe(40);
    await more.click();
    await eventually(async () => (await more.count()) === 0, 'the button went with the last page');
    const shown = await shelf.getByRole('heading').allInnerTexts();
    expect([...shown].sort()).toEqual([...names].sort());
  });

  test('at phone width (390×844) the store fits without sideways scrolling (the chat suite checks its pages)', async () => {
    const page = await web.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    const person = newPerson('Phoebe');
    await signUpInBrowser(page, web.app, person);
    const overflow = () => page.evaluate<number>('document.documentElement.scrollWidth');

    await page.goto(new URL('store', web.app).href);
    await shows(page.getByRole('searchbox', { name: 'Search', exact: true }));
    // The earlier tests' products, or the empty shelf when this test runs alone.
    await shows(page.getByRole('list', { name: 'Products' }).getByRole('listitem').or(page.getByText('No products match.', { exact: true })));
    expect(await overflow()).toBeLessThanOrEqual(391);
    await screenshot(page, 'store-phone');

  });
});

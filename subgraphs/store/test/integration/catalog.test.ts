import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { post, type GraphQLResponse } from '@dorandoran/test-support/graphql';
import { startHarness, type Person, type StoreHarness } from '../helpers/harness';

let h: StoreHarness;
let admin: Person;
let buyer: Person;
beforeAll(async () => {
  h = await startHarness();
  admin = await h.admin();
  buyer = await h.person();
});
afterAll(() => h?.close());

/** The router without a signed-in user: the router secret and no token. */
const anonymous = (query: string, variables: Record<string, unknown> = {}) => h.gql(query, variables);

const PRODUCT_FIELDS = 'id name description category price { amount currency } stock active createdAt';
const CREATE = `mutation($input: CreateProductInput!) { createProduct(input: $input) { ${PRODUCT_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { ${PRODUCT_FIELDS} } }`;
const PRODUCT = `query($id: ID!) { product(id: $id) { ${PRODUCT_FIELDS} } }`;
const PRODUCTS = `query($first: Int, $after: String, $search: String, $category: String, $includeInactive: Boolean) {
  products(first: $first, after: $after, search: $search, category: $category, includeInactive: $includeInactive) {
    edges { cursor node { id name active } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

/** A category (shelf) no other test uses, so a listing filtered by it holds this test's products only. */
const shelf = () => `shelf-${randomUUID().slice(0, 8)}`;
/** A word no other product has. */
const word = () => `w${randomUUID().replace(/-/g, '').slice(0, 10)}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function create(input: Record<string, unknown>) {
  const response = await h.gql(CREATE, { input: { price: 1000, stock: 5, ...input } }, admin);
  expect(response.errors).toBeUndefined();
  return response.data!.createProduct;
}

async function ids(variables: Record<string, unknown>, person?: Person): Promise<string[]> {
  const response = person ? await h.gql(PRODUCTS, { first: 100, ...variables }, person) : await anonymous(PRODUCTS, { first: 100, ...variables });
  expect(response.errors).toBeUndefined();
  return response.data!.products.edges.map((edge: { node: { id: string } }) => edge.node.id);
}

function expectBadInput(response: GraphQLResponse, field: string, message?: RegExp) {
  expect(response.errors).toHaveLength(1);
  expect(response.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  if (message) expect(response.errors![0].message).toMatch(message);
}

describe('createProduct', () => {
  test('an administrator adds a product: the name is trimmed, the price is KRW money, it is for sale by default', async () => {
    const category = shelf();
    const before = Date.now();
    const response = await h.gql(
      CREATE,
      { input: { name: '  Green Tea  ', description: 'Hot or iced.', category, price: 4500, stock: 12 } },
      admin,
    );
    expect(response.errors).toBeUndefined();
    const product = response.data!.createProduct;
    expect(product).toEqual({
      id: expect.stringMatching(UUID),
      name: 'Green Tea',
      description: 'Hot or iced.',
      category,
      price: { amount: 4500, currency: 'KRW' },
      stock: 12,
      active: true,
      createdAt: expect.any(String),
    });
    expect(new Date(product.createdAt).toISOString()).toBe(product.createdAt);
    expect(new Date(product.createdAt).getTime()).toBeGreaterThanOrEqual(before - 1000);
    // Anyone reads it back as it was stored, and it is listed.
    expect((await anonymous(PRODUCT, { id: product.id })).data!.product).toEqual(product);
    expect(await ids({ category })).toEqual([product.id]);
  });

  test('description and category may be left out (null); active: false adds a product not for sale yet', async () => {
    const product = await create({ name: 'Bare', active: false });
    expect(product).toMatchObject({ description: null, category: null, active: false });
    const blank = await create({ name: 'Blank', description: '   ', category: '  ' });
    expect(blank).toMatchObject({ description: null, category: null, active: true });
  });

  test('the limits themselves are allowed: 100-character name (emoji count as one), 50-character category, 2000-character description, price 1, stock 0', async () => {
    const name = '🍵'.repeat(100);
    const product = await create({ name, category: 'c'.repeat(50), description: 'd'.repeat(2000), price: 1, stock: 0 });
    expect(product).toMatchObject({ name, category: 'c'.repeat(50), price: { amount: 1, currency: 'KRW' }, stock: 0 });
    expect(product.description).toHaveLength(2000);
    const max = await create({ name: 'Dear', price: 2 ** 31 - 1, stock: 2 ** 31 - 1 });
    expect(max).toMatchObject({ price: { amount: 2147483647 }, stock: 2147483647 });
  });

  test.each([
    ['an empty name', { name: '' }, 'name', /name.*1 to 100/],
    ['a blank name', { name: '  \t ' }, 'name', /name.*1 to 100/],
    ['a 101-character name', { name: 'n'.repeat(101) }, 'name', /1 to 100.*101/],
    ['price 0', { price: 0 }, 'price', /price/],
    ['a negative price', { price: -500 }, 'price', /price/],
    ['the most negative Int as price', { price: -(2 ** 31) }, 'price', /price/],
    ['stock −1', { stock: -1 }, 'stock', /stock/],
    ['a 51-character category', { category: 'c'.repeat(51) }, 'category', /category.*50/],
    ['a 2001-character description', { description: 'd'.repeat(2001) }, 'description', /description.*2000/],
  ])('%s → BAD_USER_INPUT naming the field, and nothing is added', async (_name, fields, field, message) => {
    const category = shelf();
    const response = await h.gql(CREATE, { input: { name: 'Fine', price: 1000, stock: 5, category, ...fields } }, admin);
    expectBadInput(response, field, message);
    expect(response.data).toBeNull();
    expect(await ids({ category, includeInactive: true }, admin)).toEqual([]);
  });

  test.each([
    ['a fraction', 1500.5],
    ['a number over the Int range', 2 ** 31],
    ['a string', '1000'],
  ])('a price that is %s is refused by GraphQL itself (BAD_USER_INPUT on input.price)', async (_name, price) => {
    const response = await h.gql(CREATE, { input: { name: 'Odd', price, stock: 1 } }, admin);
    expect(response.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(response.errors![0].message).toMatch(/price/);
    expect(response.data ?? null).toBeNull();
  });
});

describe('only administrators change the catalog (the subgraph\'s own permissions)', () => {
  const cases: [string, string, () => Record<string, unknown>][] = [
    ['createProduct', CREATE, () => ({ input: { name: 'Sneaky', price: 1, stock: 1 } })],
    ['updateProduct', UPDATE, () => ({ id: target, input: { price: 1 } })],
  ];
  let target: string;
  beforeAll(async () => {
    target = await h.product({ price: 7000 });
  });

  test.each(cases)('%s by a signed-in user who is not an administrator → FORBIDDEN', async (_name, query, variables) => {
    const response = await h.gql(query, variables(), buyer);
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0].extensions!.code).toBe('FORBIDDEN');
    expect(response.errors![0].message).toMatch(/administrators/);
    expect(response.data).toBeNull();
  });

  test.each(cases)('%s through the router without a token → UNAUTHENTICATED', async (_name, query, variables) => {
    const response = await anonymous(query, variables());
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
  });

  test.each(cases)('%s without the router secret → HTTP 403, even with a token', async (_name, query, variables) => {
    for (const headers of [{}, { authorization: buyer.headers.authorization }] as Record<string, string>[]) {
      const response = await post(h.store.url, query, variables(), headers);
      expect(response.status).toBe(403);
      expect(response.errors![0].extensions!.code).toBe('ROUTER_SECRET_REQUIRED');
    }
  });

  test('after all those attempts the product is unchanged', async () => {
    expect((await anonymous(PRODUCT, { id: target })).data!.product.price).toEqual({ amount: 7000, currency: 'KRW' });
  });
});

describe('updateProduct', () => {
  const original = () => ({ name: 'Original', description: 'Described', category: shelf(), price: 3000, stock: 8 });

  test('changes only the fields given; the rest stay as they were', async () => {
    const product = await create(original());
    const priced = await h.gql(UPDATE, { id: product.id, input: { price: 3500 } }, admin);
    expect(priced.errors).toBeUndefined();
    expect(priced.data!.updateProduct).toEqual({ ...product, price: { amount: 3500, currency: 'KRW' } });
    const renamed = await h.gql(UPDATE, { id: product.id, input: { name: '  Renamed ', stock: 0, active: false } }, admin);
    expect(renamed.data!.updateProduct).toEqual({ ...product, name: 'Renamed', price: { amount: 3500, currency: 'KRW' }, stock: 0, active: false });
    const nothing = await h.gql(UPDATE, { id: product.id, input: {} }, admin);
    expect(nothing.data!.updateProduct).toEqual(renamed.data!.updateProduct);
    // What anyone reads afterwards is the same.
    expect((await anonymous(PRODUCT, { id: product.id })).data!.product).toEqual(renamed.data!.updateProduct);
  });

  test('null clears description and category', async () => {
    const product = await create(original());
    const cleared = await h.gql(UPDATE, { id: product.id, input: { description: null, category: null } }, admin);
    expect(cleared.errors).toBeUndefined();
    expect(cleared.data!.updateProduct).toEqual({ ...product, description: null, category: null });
    expect((await anonymous(PRODUCT, { id: product.id })).data!.product).toMatchObject({ description: null, category: null });
  });

  test.each(['name', 'price', 'stock', 'active'])('null for %s → BAD_USER_INPUT naming it, and nothing changes', async (field) => {
    const product = await create(original());
    const response = await h.gql(UPDATE, { id: product.id, input: { description: 'Changed too', [field]: null } }, admin);
    expectBadInput(response, field, /leave .* out/);
    expect((await anonymous(PRODUCT, { id: product.id })).data!.product).toEqual(product);
  });

  test.each([
    ['a blank name', { name: '   ' }, 'name'],
    ['a 101-character name', { name: 'n'.repeat(101) }, 'name'],
    ['price 0', { price: 0 }, 'price'],
    ['a negative price', { price: -1 }, 'price'],
    ['stock −1', { stock: -1 }, 'stock'],
    ['a 51-character category', { category: 'c'.repeat(51) }, 'category'],
    ['a 2001-character description', { description: 'd'.repeat(2001) }, 'description'],
  ])('%s → BAD_USER_INPUT naming the field, and nothing changes', async (_name, input, field) => {
    const product = await create(original());
    expectBadInput(await h.gql(UPDATE, { id: product.id, input }, admin), field);
    expect((await anonymous(PRODUCT, { id: product.id })).data!.product).toEqual(product);
  });

  test('an unknown or malformed id → NOT_FOUND naming the id', async () => {
    for (const id of [uuidv7(), 'not-a-product']) {
      const response = await h.gql(UPDATE, { id, input: { price: 100 } }, admin);
      expect(response.errors).toHaveLength(1);
      expect(response.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });
      expect(response.errors![0].message).toContain(id);
    }
  });

  test('a product made inactive leaves the listing but product(id) still shows it with active false; reactivated it is back', async () => {
    const category = shelf();
    const product = await create({ name: 'Seasonal', category });
    await h.gql(UPDATE, { id: product.id, input: { active: false } }, admin);
    expect(await ids({ category })).toEqual([]);
    expect((await anonymous(PRODUCT, { id: product.id })).data!.product).toEqual({ ...product, active: false });
    await h.gql(UPDATE, { id: product.id, input: { active: true } }, admin);
    expect(await ids({ category })).toEqual([product.id]);
  });
});

describe('products', () => {
  test('lists only active products, newest first, to anyone: the router without a token, a buyer, an administrator', async () => {
    const category = shelf();
    const first = await create({ name: 'First', category });
    const hidden = await create({ name: 'Hidden', category, active: false });
    const second = await create({ name: 'Second', category });
    const third = await create({ name: 'Third', category });
    const expected = [third.id, second.id, first.id];
    expect(await ids({ category })).toEqual(expected);
    expect(await ids({ category }, buyer)).toEqual(expected);
    expect(await ids({ category }, admin)).toEqual(expected);
    expect(expected).not.toContain(hidden.id);
  });

  test('includeInactive: true lists inactive ones too for an administrator, newest first', async () => {
    const category = shelf();
    const active = await create({ name: 'On', category });
    const inactive = await create({ name: 'Off', category, active: false });
    const response = await h.gql(PRODUCTS, { category, includeInactive: true }, admin);
    expect(response.data!.products.edges.map((edge: { node: unknown }) => edge.node)).toEqual([
      { id: inactive.id, name: 'Off', active: false },
      { id: active.id, name: 'On', active: true },
    ]);
  });

  test('includeInactive: true for a buyer or without a token → FORBIDDEN saying to leave it out', async () => {
    for (const response of [await h.gql(PRODUCTS, { includeInactive: true }, buyer), await anonymous(PRODUCTS, { includeInactive: true })]) {
      expect(response.errors).toHaveLength(1);
      expect(response.errors![0].extensions!.code).toBe('FORBIDDEN');
      expect(response.errors![0].message).toMatch(/includeInactive/);
      expect(response.data).toEqual({ products: null });
    }
    // includeInactive: false is what everyone gets anyway.
    expect((await h.gql(PRODUCTS, { includeInactive: false }, buyer)).errors).toBeUndefined();
  });

  test('paging with first/after returns each product exactly once, newest first, with pageInfo telling where it is', async () => {
    const category = shelf();
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await create({ name: `Paged ${i}`, category })).id);
    await create({ name: 'Paged but hidden', category, active: false });
    const pages: string[][] = [];
    let after: string | null = null;
    for (;;) {
      const response: GraphQLResponse = await anonymous(PRODUCTS, { first: 3, after, category });
      expect(response.errors).toBeUndefined();
      const { edges, pageInfo } = response.data!.products;
      pages.push(edges.map((edge: { node: { id: string } }) => edge.node.id));
      expect(pageInfo.hasPreviousPage).toBe(after !== null);
      expect(pageInfo.startCursor).toBe(edges[0].cursor);
      expect(pageInfo.endCursor).toBe(edges[edges.length - 1].cursor);
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    expect(pages).toEqual([made.slice(4).reverse(), made.slice(1, 4).reverse(), [made[0]]]);
  });

  test('a page that ends exactly at the last product says hasNextPage false; after the last cursor the page is empty', async () => {
    const category = shelf();
    const a = await create({ name: 'A', category });
    const b = await create({ name: 'B', category });
    const page = await anonymous(PRODUCTS, { first: 2, category });
    expect(page.data!.products.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    expect(page.data!.products.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([b.id, a.id]);
    const beyond = await anonymous(PRODUCTS, { first: 2, category, after: page.data!.products.pageInfo.endCursor });
    expect(beyond.data!.products).toEqual({
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null },
    });
  });

  test('without first a page holds 20', async () => {
    const category = shelf();
    for (let i = 0; i < 21; i++) await create({ name: `Many ${i}`, category });
    const page = await anonymous(PRODUCTS, { first: undefined, category });
    expect(page.data!.products.edges).toHaveLength(20);
    expect(page.data!.products.pageInfo.hasNextPage).toBe(true);
  });

  test('search matches the name or the description, case-insensitively', async () => {
    const category = shelf();
    const term = word();
    const byName = await create({ name: `Mug ${term}`, category });
    const byDescription = await create({ name: 'Cup', description: `Goes with the ${term.toUpperCase()} saucer`, category });
    await create({ name: 'Plate', description: 'Nothing to see', category });
    const inactive = await create({ name: `Old ${term}`, category, active: false });
    expect(await ids({ search: term.toUpperCase() })).toEqual([byDescription.id, byName.id]);
    expect(await ids({ search: `  ${term}  ` }, buyer)).toEqual([byDescription.id, byName.id]);
    expect(await ids({ search: term, includeInactive: true }, admin)).toEqual([inactive.id, byDescription.id, byName.id]);
    expect(await ids({ search: word() })).toEqual([]);
  });

  test('% and _ in a search are plain characters, not wildcards', async () => {
    const category = shelf();
    const percent = await create({ name: '100% cotton', category });
    const plain = await create({ name: '100 cotton', category });
    const underscore = await create({ name: 'snake_case', category });
    const letter = await create({ name: 'snakeXcase', category });
    const backslash = await create({ name: 'back\\slash', category });
    expect(await ids({ category, search: '100%' })).toEqual([percent.id]);
    expect(await ids({ category, search: '%' })).toEqual([percent.id]);
    expect(await ids({ category, search: 'snake_case' })).toEqual([underscore.id]);
    expect(await ids({ category, search: '_' })).toEqual([underscore.id]);
    expect(await ids({ category, search: '\\' })).toEqual([backslash.id]);
    expect(await ids({ category, search: 'cotton' })).toEqual([plain.id, percent.id]);
    expect(await ids({ category, search: 'snake' })).toEqual([letter.id, underscore.id]);
  });

  test('category matches the whole category, case-insensitively, with _ and % as plain characters', async () => {
    const tag = word();
    const drinks = await create({ name: 'Juice', category: `Drinks_${tag}` });
    const alsoDrinks = await create({ name: 'Water', category: `drinks_${tag.toUpperCase()}` });
    const lookalike = await create({ name: 'Soda', category: `DrinksX${tag}` });
    const longer = await create({ name: 'Cola', category: `Drinks_${tag} extra` });
    expect(await ids({ category: `DRINKS_${tag}` })).toEqual([alsoDrinks.id, drinks.id]);
    expect(await ids({ category: ` drinks_${tag} ` })).toEqual([alsoDrinks.id, drinks.id]);
    expect(await ids({ category: `drinksx${tag}` })).toEqual([lookalike.id]);
    expect(await ids({ category: `Drinks_${tag} Extra` })).toEqual([longer.id]);
    expect(await ids({ category: `Drinks%${tag}` })).toEqual([]);
  });

  test('search and category together narrow the list', async () => {
    const category = shelf();
    const term = word();
    const both = await create({ name: `Both ${term}`, category });
    await create({ name: `Elsewhere ${term}`, category: shelf() });
    await create({ name: 'Same shelf', category });
    expect(await ids({ category, search: term })).toEqual([both.id]);
  });

  test('a cursor that is not one from this list → BAD_USER_INPUT naming after', async () => {
    const product = await create({ name: 'Cursor', category: shelf() });
    for (const after of [
      'garbage',
      Buffer.from(`order:${product.id}`).toString('base64url'),
      Buffer.from('product:not-a-uuid').toString('base64url'),
    ]) {
      const response = await anonymous(PRODUCTS, { after });
      expectBadInput(response, 'after', /not a cursor/);
    }
  });

  test('first over 100 or below 0 → BAD_USER_INPUT naming first; 100 is fine', async () => {
    expectBadInput(await anonymous(PRODUCTS, { first: 101 }), 'first', /100/);
    expectBadInput(await anonymous(PRODUCTS, { first: -1 }), 'first');
    expect((await anonymous(PRODUCTS, { first: 100 })).errors).toBeUndefined();
  });

  test('a search over 100 characters → BAD_USER_INPUT naming search', async () => {
    expectBadInput(await anonymous(PRODUCTS, { search: 's'.repeat(101) }), 'search');
  });
});

describe('product(id)', () => {
  test('returns an inactive product too, with active false, to anyone', async () => {
    const product = await create({ name: 'Retired', active: false });
    for (const response of [await anonymous(PRODUCT, { id: product.id }), await h.gql(PRODUCT, { id: product.id }, buyer)]) {
      expect(response.errors).toBeUndefined();
      expect(response.data!.product).toEqual({ ...product, active: false });
    }
  });

  test('an unknown or malformed id is null, not an error', async () => {
    for (const id of [uuidv7(), 'nope']) {
      const response = await anonymous(PRODUCT, { id });
      expect(response.errors).toBeUndefined();
      expect(response.data!.product).toBeNull();
    }
  });
});

import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { badUserInput, isUuid, notFound, pageSize } from '@dorandoran/service-kit';
import type { CreateProductInput, UpdateProductInput } from './__generated__/resolvers-types';
import { Product } from './entities/Product.entity';
import { decodeIdCursor, type Page } from './pagination';

/** One page of the catalog. */
export type ProductPage = Page<Product>;

export const MAX_NAME_LENGTH = 100;
export const MAX_DESCRIPTION_LENGTH = 2000;
export const MAX_CATEGORY_LENGTH = 50;
/** PostgreSQL integer. */
const MAX_INT = 2 ** 31 - 1;

const length = (text: string) => [...text].length;

function cleanName(value: string): string {
  const name = value.trim();
  if (length(name) < 1 || length(name) > MAX_NAME_LENGTH) {
    throw badUserInput('name', `A product name needs 1 to ${MAX_NAME_LENGTH} characters after trimming; this one has ${length(name)}.`);
  }
  return name;
}

/** Empty after trimming means none. */
function cleanOptional(value: string | null | undefined, field: string, max: number): string | null {
  const text = value?.trim() ?? '';
  if (length(text) > max) throw badUserInput(field, `${field} takes at most ${max} characters; this one has ${length(text)}.`);
  return text || null;
}

function checkPrice(price: number): number {
  if (!Number.isInteger(price) || price < 1 || price > MAX_INT) {
    throw badUserInput('price', `price is in KRW and must be a whole number from 1 to ${MAX_INT}; got ${price}.`);
  }
  return price;
}

function checkStock(stock: number): number {
  if (!Number.isInteger(stock) || stock < 0 || stock > MAX_INT) throw badUserInput('stock', `stock must be a whole number from 0 to ${MAX_INT}; got ${stock}.`);
  return stock;
}

export async function createProduct(em: EntityManager, input: CreateProductInput): Promise<Product> {
  const product = new Product(cleanName(input.name), checkPrice(input.price), checkStock(input.stock));
  product.description = cleanOptional(input.description, 'description', MAX_DESCRIPTION_LENGTH);
  product.category = cleanOptional(input.category, 'category', MAX_CATEGORY_LENGTH);
  product.active = input.active ?? true;
  await em.persistAndFlush(product);
  return product;
}

/**
 * Applies the given fields in one UPDATE, so a stock count set here and orders reserving stock at
 * the same moment are serialised by the row lock (neither is lost, stock stays ≥ 0).
 */
export async function updateProduct(em: EntityManager, id: string, input: UpdateProductInput): Promise<Product> {
  const changes: Partial<Product> = {};
  if (input.name !== undefined) {
    if (input.name === null) throw badUserInput('name', 'A product always has a name; leave name out to keep it.');
    changes.name = cleanName(input.name);
  }
  if (input.description !== undefined) changes.description = cleanOptional(input.description, 'description', MAX_DESCRIPTION_LENGTH);
  if (input.category !== undefined) changes.category = cleanOptional(input.category, 'category', MAX_CATEGORY_LENGTH);
  for (const field of ['price', 'stock', 'active'] as const) {
    if (input[field] === null) throw badUserInput(field, `${field} cannot be null; leave it out to keep it.`);
  }
  if (input.price != null) changes.price = checkPrice(input.price);
  if (input.stock != null) changes.stock = checkStock(input.stock);
  if (input.active != null) changes.active = input.active;
  const updated = isUuid(id) && (await em.nativeUpdate(Product, { id }, { ...changes, updatedAt: new Date() }));
  if (!updated) throw notFound('Product', id);
  return em.findOneOrFail(Product, id, { refresh: true });
}

export interface ProductFilter {
  first?: number | null;
  after?: string | null;
  search?: string | null;
  category?: string | null;
  includeInactive: boolean;
}

/** `%` and `_` in a search are letters, not wildcards. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;

export async function listProducts(em: EntityManager, filter: ProductFilter): Promise<ProductPage> {
  const size = pageSize(filter.first, 'first');
  const where: FilterQuery<Product> = filter.includeInactive ? {} : { active: true };
  const search = filter.search?.trim();
  if (search) {
    if (length(search) > 100) throw badUserInput('search', 'search takes at most 100 characters.');
    where.$or = [{ name: { $ilike: likePattern(search) } }, { description: { $ilike: likePattern(search) } }];
  }
  const category = filter.category?.trim();
  if (category) where.category = { $ilike: category.replace(/[\\%_]/g, (char) => `\\${char}`) };
  if (filter.after) where.id = { $lt: decodeIdCursor('product', filter.after) };
  const rows = await em.find(Product, where, { orderBy: { id: 'desc' }, limit: size + 1 });
  return { nodes: rows.slice(0, size), hasNextPage: rows.length > size, hasPreviousPage: Boolean(filter.after) };
}

import type { EntityManager } from '@mikro-orm/postgresql';
import type { CreateProductInput } from './__generated__/resolvers-types';
import { createProduct } from './catalog';
import { Product } from './entities/Product.entity';

/** What `npm start` puts on an empty shelf, so a first run has something to buy (KRW). */
export const SAMPLE_PRODUCTS: readonly CreateProductInput[] = [
  { name: 'Ceramic mug', price: 12000, stock: 40, category: 'Kitchen', description: 'A 350 ml stoneware mug, glazed in celadon green.' },
  { name: 'Cast iron teapot', price: 38000, stock: 15, category: 'Kitchen', description: 'Holds 800 ml; with a stainless steel infuser.' },
  { name: 'Linen tote bag', price: 24000, stock: 30, category: 'Bags', description: 'Washed linen with an inner pocket.' },
  { name: 'Dotted notebook A5', price: 6500, stock: 60, category: 'Stationery', description: '160 pages of 100 g paper that takes fountain pen ink.' },
  { name: 'Fountain pen', price: 45000, stock: 20, category: 'Stationery', description: 'A fine steel nib, with a converter and a bottle of ink.' },
  { name: 'Wireless earbuds', price: 89000, stock: 25, category: 'Electronics', description: 'Bluetooth 5.3, 24 hours with the case.' },
];

/**
 * Adds SAMPLE_PRODUCTS when the catalog has no product at all (never next to an administrator's
 * own, nor twice: the table lock makes a second store starting at the same time wait, then find
 * them). Returns how many it added.
 */
export async function addSampleCatalog(em: EntityManager): Promise<number> {
  return em.fork().transactional(async (tx) => {
    await tx.execute('lock table "products" in share row exclusive mode');
    if ((await tx.count(Product, {})) > 0) return 0;
    for (const input of SAMPLE_PRODUCTS) await createProduct(tx, input);
    return SAMPLE_PRODUCTS.length;
  });
}

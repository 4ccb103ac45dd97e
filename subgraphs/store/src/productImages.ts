import { createHash } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { badUserInput, isUuid, notFound, type HttpRoute, type Logger } from '@dorandoran/service-kit';
import type { ProductImageInput } from './__generated__/resolvers-types';
import { Product } from './entities/Product.entity';
import { PRODUCT_IMAGE_TYPES, ProductImage, type ProductImageType } from './entities/ProductImage.entity';

/** Where images are served, on the store and (forwarded unchanged) on the router. */
export const PRODUCT_IMAGES_PATH = '/product-images';
/**
 * 150 KiB: base64 makes it 200 KiB, which with the rest of the request stays under the router's
 * 256 KiB MAX_BODY_BYTES. The web app scales larger pictures down in the browser first.
 */
export const MAX_IMAGE_BYTES = 150 * 1024;
const MAX_BASE64_LENGTH = Math.ceil(MAX_IMAGE_BYTES / 3) * 4;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** The part of the SHA-256 in an image's URL: enough to tell one product's images apart. */
const VERSION_LENGTH = 16;

const TYPE_NAMES: Record<ProductImageType, string> = { 'image/jpeg': 'JPEG', 'image/png': 'PNG', 'image/webp': 'WebP' };

/** What the bytes are, by their signature: a declared type or a file name proves nothing. */
export function sniffImageType(bytes: Buffer): ProductImageType | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return null;
}

/** An image's URL on the router: its content hash makes it a new URL for every new image. */
export const productImageUrl = (product: Pick<Product, 'id' | 'imageSha256'>): string | null =>
  product.imageSha256 ? `${PRODUCT_IMAGES_PATH}?id=${product.id}&v=${product.imageSha256.slice(0, VERSION_LENGTH)}` : null;

/** The upload, checked: size first (before decoding), then that the bytes are the declared kind of image. */
function checkImage(input: ProductImageInput): { contentType: ProductImageType; bytes: Buffer } {
  const declared = input.contentType.trim().toLowerCase();
  if (!(PRODUCT_IMAGE_TYPES as readonly string[]).includes(declared)) {
    throw badUserInput('image.contentType', `Images are JPEG, PNG or WebP (image/jpeg, image/png, image/webp); "${input.contentType.slice(0, 50)}" is none of them.`);
  }
  if (input.base64.length > MAX_BASE64_LENGTH) {
    throw badUserInput('image.base64', `The image is over ${MAX_IMAGE_BYTES / 1024} KiB; make it smaller (fewer pixels or more compression) and send it again.`);
  }
  if (!BASE64.test(input.base64) || input.base64.length % 4 !== 0) throw badUserInput('image.base64', 'image.base64 is not standard base64 (A-Z, a-z, 0-9, +, / and = padding).');
  const bytes = Buffer.from(input.base64, 'base64');
  if (bytes.length === 0) throw badUserInput('image.base64', 'The image is empty; choose a picture file.');
  if (bytes.length > MAX_IMAGE_BYTES) throw badUserInput('image.base64', `The image is over ${MAX_IMAGE_BYTES / 1024} KiB; make it smaller and send it again.`);
  const actual = sniffImageType(bytes);
  if (!actual) throw badUserInput('image.base64', 'The file is not a JPEG, PNG or WebP image, whatever its name says; choose a picture in one of these formats.');
  if (actual !== declared) {
    throw badUserInput('image.contentType', `The file is a ${TYPE_NAMES[actual]} image, not ${TYPE_NAMES[declared as ProductImageType]} as declared; send contentType ${actual}.`);
  }
  return { contentType: actual, bytes };
}

/** Attaches (or with null removes) a product's image, in one transaction with the product's new image hash. */
export async function setProductImage(em: EntityManager, productId: string, input: ProductImageInput | null | undefined): Promise<Product> {
  const image = input ? checkImage(input) : null;
  if (!isUuid(productId)) throw notFound('Product', productId);
  return em.fork().transactional(async (tx) => {
    const product = await tx.findOne(Product, productId, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!product) throw notFound('Product', productId);
    await tx.nativeDelete(ProductImage, { productId });
    if (image) {
      const sha256 = createHash('sha256').update(image.bytes).digest('hex');
      tx.persist(new ProductImage(productId, image.contentType, sha256, image.bytes));
      product.imageSha256 = sha256;
    } else {
      product.imageSha256 = null;
    }
    product.updatedAt = new Date();
    await tx.flush();
    return product;
  });
}

const notThere = (res: Parameters<HttpRoute['handle']>[1], why: string) => {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  res.end(`${why}\n`);
};

/**
 * GET /product-images?id=<product id>&v=<hash>: the image's bytes. The URL names one content for
 * good, so browsers and proxies keep it a year without asking again; an old `v` (the image was
 * replaced or removed) is a 404, never another picture. The type is the one the bytes were checked
 * to be, and nosniff keeps a browser from taking them for anything else. Open to anyone (product
 * images are public), unlike the store's GraphQL.
 */
export function productImageRoute(em: EntityManager, logger: Logger): HttpRoute {
  return {
    method: 'GET',
    path: PRODUCT_IMAGES_PATH,
    async handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const id = url.searchParams.get('id') ?? '';
      const version = url.searchParams.get('v') ?? '';
      if (!isUuid(id) || !/^[0-9a-f]{16}$/.test(version)) return notThere(res, 'An image URL is /product-images?id=<product id>&v=<16 hex digits>, as Product.imageUrl gives it.');
      let image: ProductImage | null;
      try {
        image = await em.fork().findOne(ProductImage, { productId: id }, { populate: ['bytes'] });
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'product image not read');
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5', 'cache-control': 'no-store' });
        res.end('The store cannot read images right now; try again shortly.\n');
        return;
      }
      if (!image || !image.sha256.startsWith(version)) return notThere(res, 'No such image: the product has another image now, or none.');
      res.writeHead(200, {
        'content-type': image.contentType,
        'content-length': String(image.bytes.length),
        'cache-control': 'public, max-age=31536000, immutable',
        etag: `"${image.sha256}"`,
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
      });
      res.end(image.bytes);
    },
  };
}

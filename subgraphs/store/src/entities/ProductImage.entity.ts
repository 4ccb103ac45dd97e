import { Entity, Property } from '@mikro-orm/core';
import { BaseEntity } from '@dorandoran/service-kit';

export const PRODUCT_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type ProductImageType = (typeof PRODUCT_IMAGE_TYPES)[number];

/**
 * A product's image, its bytes in the store's own database (bytea): images are small (at most
 * 150 KiB), one per product, and kept with the product they belong to, so a backup of the store is
 * the whole store and no object storage has to be run beside it. Served by GET /product-images.
 */
@Entity({ tableName: 'product_images' })
export class ProductImage extends BaseEntity {
  @Property({ type: 'uuid', unique: true })
  productId: string;

  @Property({ type: 'string', length: 20 })
  contentType: ProductImageType;

  /** SHA-256 of the bytes, hex: the `v` of its URL. */
  @Property({ type: 'string', length: 64 })
  sha256: string;

  @Property({ type: 'blob', lazy: true })
  bytes: Buffer;

  constructor(productId: string, contentType: ProductImageType, sha256: string, bytes: Buffer) {
    super();
    this.productId = productId;
    this.contentType = contentType;
    this.sha256 = sha256;
    this.bytes = bytes;
  }
}

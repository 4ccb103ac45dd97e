import { Check, Entity, Index, Property } from '@mikro-orm/core';
import { BaseEntity } from '@dorandoran/service-kit';

/** Something for sale. Stock only changes through single conditional updates, so it never goes below zero. */
@Entity({ tableName: 'products' })
@Index({ properties: ['active', 'id'] })
@Check({ name: 'products_stock_not_negative', expression: 'stock >= 0' })
@Check({ name: 'products_price_positive', expression: 'price > 0' })
export class Product extends BaseEntity<'description' | 'category' | 'active' | 'imageSha256'> {
  @Property({ type: 'string', length: 100 })
  name: string;

  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  @Property({ type: 'string', length: 50, nullable: true })
  category: string | null = null;

  /** KRW. */
  @Property({ type: 'integer' })
  price: number;

  @Property({ type: 'integer' })
  stock: number;

  @Property({ type: 'boolean', default: true })
  active: boolean = true;

  /** SHA-256 (hex) of its image in product_images, which names the image's URL; null without one. */
  @Property({ type: 'string', length: 64, nullable: true })
  imageSha256: string | null = null;

  constructor(name: string, price: number, stock: number) {
    super();
    this.name = name;
    this.price = price;
    this.stock = stock;
  }
}

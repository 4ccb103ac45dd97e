import { Entity, ManyToOne, Property, ref, type Ref } from '@mikro-orm/core';
import { BaseEntity } from '@dorandoran/service-kit';
import { Order } from './Order.entity';
import { Product } from './Product.entity';

/** One line of an order, with the product's name and price as they were when it was placed. */
@Entity({ tableName: 'order_items' })
export class OrderItem extends BaseEntity {
  @ManyToOne({ entity: () => Order, ref: true, index: true })
  order: Ref<Order>;

  @ManyToOne({ entity: () => Product, ref: true })
  product: Ref<Product>;

  @Property({ type: 'string', length: 100 })
  productName: string;

  /** KRW per unit. */
  @Property({ type: 'integer' })
  unitPrice: number;

  @Property({ type: 'integer' })
  quantity: number;

  constructor(order: Order, product: Product, quantity: number) {
    super();
    this.order = ref(order);
    this.product = ref(product);
    this.productName = product.name;
    this.unitPrice = product.price;
    this.quantity = quantity;
  }

  get orderId(): string {
    return this.order.id;
  }

  get productId(): string {
    return this.product.id;
  }
}

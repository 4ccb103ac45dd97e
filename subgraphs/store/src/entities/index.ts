import { eventEntities } from '@dorandoran/service-kit';
import { Order } from './Order.entity';
import { OrderItem } from './OrderItem.entity';
import { OrderStatusChange } from './OrderStatusChange.entity';
import { Payment } from './Payment.entity';
import { Product } from './Product.entity';
import { ProductImage } from './ProductImage.entity';
import { SandboxCharge, SandboxOperation } from './SandboxRecord.entity';
import { WebhookEvent } from './WebhookEvent.entity';

/** Every entity of this subgraph, listed explicitly for the ORM. */
export const entities = [Product, Order, OrderItem, OrderStatusChange, Payment, WebhookEvent, ProductImage, SandboxCharge, SandboxOperation, ...eventEntities];

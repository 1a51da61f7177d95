/** Every event type the shop knows, with its schema versions and upcasters. */
import { productEventTypes } from './catalog/productEventSchemas.ts';
import { EventRegistry } from './core/eventRegistry.ts';
import { customerEventTypes } from './customers/customerEventSchemas.ts';
import { orderEventTypes } from './orders/orderEventSchemas.ts';

export const shopEvents = new EventRegistry([...productEventTypes, ...customerEventTypes, ...orderEventTypes]);

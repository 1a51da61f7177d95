/** Every event type the shop knows, with its schema versions and upcasters. */
import { productEventTypes } from './catalog/productEvents.ts';
import { EventRegistry } from './core/eventRegistry.ts';
import { customerEventTypes } from './customers/customerEvents.ts';
import { paymentWorkflowEventTypes } from './fulfilment/paymentEvents.ts';
import { orderEventTypes } from './orders/orderEvents.ts';

export const shopEvents = new EventRegistry([
  ...productEventTypes,
  ...customerEventTypes,
  ...orderEventTypes,
  ...paymentWorkflowEventTypes,
]);

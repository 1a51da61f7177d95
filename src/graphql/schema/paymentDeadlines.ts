/**
 * Orders awaiting payment, soonest deadline first, live: what fulfilment staff watch to see which orders
 * the payment workflow is about to cancel (src/fulfilment/paymentWorkflow.ts). The countdown is the
 * client's: each result carries the deadline, and a new one is pushed whenever an order enters or leaves.
 */
import { z } from 'zod';
import { customerOrderHistoryProjection } from '../../projections/customerOrderHistory.ts';
import { paymentDeadlinesProjection, type PaymentDeadlineView } from '../../projections/paymentDeadlines.ts';
import { builder } from '../builder.ts';
import { CustomerOrderHistoryRef } from './customers.ts';

const AwaitingPaymentRef = builder.objectRef<PaymentDeadlineView & { dueAt: string }>('OrderAwaitingPayment').implement({
  description: 'An unpaid order and the moment it is cancelled for non-payment, unless it is paid first.',
  fields: (t) => ({
    orderId: t.exposeID('orderId'),
    customerId: t.exposeID('customerId', { nullable: true }),
    customer: t.field({
      type: CustomerOrderHistoryRef,
      nullable: true,
      resolve: (order, _args, { loaders }) => (order.customerId ? loaders.load(customerOrderHistoryProjection, order.customerId) : null),
    }),
    totalCents: t.exposeInt('totalCents', { nullable: true }),
    placedAt: t.field({ type: 'DateTime', nullable: true, resolve: (order) => order.placedAt }),
    dueAt: t.field({ type: 'DateTime', resolve: (order) => order.dueAt }),
  }),
});

builder.subscriptionField('ordersAwaitingPayment', (t) =>
  t.field({
    authScopes: { fulfilment: true, operator: true },
    type: [AwaitingPaymentRef],
    description:
      'Orders awaiting payment, soonest deadline first: now, then again whenever one is placed, paid, shipped or cancelled. ' +
      'All subscribers of an API instance with the same `limit` share its Firestore listeners (one per partition of the orders, merged in order).',
    args: { limit: t.arg.int({ required: false, defaultValue: 10, validate: z.number().int().min(1).max(50) }) },
    subscribe: (_root, { limit }, { deps }) =>
      deps.readModels.watchResults(paymentDeadlinesProjection, {
        where: { state: 'AWAITING_PAYMENT' },
        orderBy: { field: 'dueAt', direction: 'asc' },
        limit: limit ?? 10,
      }),
    resolve: (orders, _args, { loaders }) => {
      loaders.clearAll();
      return orders.flatMap(({ view }) => (view.dueAt ? [{ ...view, dueAt: view.dueAt }] : []));
    },
  }),
);

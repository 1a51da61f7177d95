/**
 * The functions pushed domain events, by function name: one Cloud Function and one push subscription each. The
 * projectors keep read models; the workflows react to events by deciding and sending commands.
 */
import { PAYMENT_WORKFLOW_ORDER_EVENTS } from '../src/fulfilment/paymentWorkflow.ts';
import { customerOrderHistoryProjection } from '../src/projections/customerOrderHistory.ts';
import { inventoryCountProjection } from '../src/projections/inventoryCount.ts';
import { orderDetailsProjection } from '../src/projections/orderDetails.ts';
import { paymentDeadlinesProjection } from '../src/projections/paymentDeadlines.ts';
import { recommendationsProjection } from '../src/projections/recommendations.ts';
import { salesDashboardProjection } from '../src/projections/salesDashboard.ts';
import { deadLetterSinkSubscriptionName, pushSubscriptionName } from '../src/pubsub/topology.ts';

export const projectors = {
  projectCustomerOrderHistory: customerOrderHistoryProjection,
  projectInventoryCount: inventoryCountProjection,
  projectRecommendations: recommendationsProjection,
  projectOrderDetails: orderDetailsProjection,
  projectSalesDashboard: salesDashboardProjection,
  projectPaymentDeadlines: paymentDeadlinesProjection,
} as const;

/** The workflow functions and the event types each is pushed (src/fulfilment/). */
export const workflows = {
  runPaymentWorkflow: { name: 'paymentWorkflow', eventTypes: PAYMENT_WORKFLOW_ORDER_EVENTS },
} as const;

/** The HTTP function Cloud Scheduler (or `npm run dev`'s timer) calls to fire due payment deadlines. */
export const DEADLINE_SWEEP = 'sweepPaymentDeadlines';

/** The HTTP function Cloud Scheduler calls to fold the contributions the last events of a burst left pending. */
export const ROLL_UP_SWEEP = 'sweepRollUps';

/** Every function with a push subscription on the domain events topic, and the event types it is pushed. */
export const subscribers: Record<string, readonly string[]> = {
  ...Object.fromEntries(Object.entries(projectors).map(([name, projection]) => [name, projection.eventTypes])),
  ...Object.fromEntries(Object.entries(workflows).map(([name, workflow]) => [name, workflow.eventTypes])),
};

/** The shop's read models, each served by exactly one of the functions above (test/deployPlan checks it). */
export { projections } from '../src/projections/all.ts';

/** The function every projector's dead-letter topic pushes to. */
export const DEAD_LETTER_SINK = 'storeDeadLetter';

/** The dead-letter sink learns which read model gave up on a message from the subscription it came through. */
export function readModelOfDeadLetterSubscription(subscription: string): string | null {
  const named = [...Object.entries(projectors), ...Object.entries(workflows)];
  for (const [functionName, { name }] of named) {
    if (deadLetterSinkSubscriptionName(pushSubscriptionName(functionName)) === subscription) return name;
  }
  return null;
}

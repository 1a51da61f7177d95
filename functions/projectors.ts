/** The projector functions, by function name: one Cloud Function and one push subscription each. */
import { customerOrderHistoryProjection } from '../src/projections/customerOrderHistory.ts';
import { inventoryCountProjection } from '../src/projections/inventoryCount.ts';
import { orderDetailsProjection } from '../src/projections/orderDetails.ts';
import { recommendationsProjection } from '../src/projections/recommendations.ts';
import { salesDashboardProjection } from '../src/projections/salesDashboard.ts';
import { deadLetterSinkSubscriptionName, pushSubscriptionName } from '../src/pubsub/topology.ts';

export const projectors = {
  projectCustomerOrderHistory: customerOrderHistoryProjection,
  projectInventoryCount: inventoryCountProjection,
  projectRecommendations: recommendationsProjection,
  projectOrderDetails: orderDetailsProjection,
  projectSalesDashboard: salesDashboardProjection,
} as const;

/** The shop's read models, each served by exactly one of the functions above (test/deployPlan checks it). */
export { projections } from '../src/projections/all.ts';

/** The function every projector's dead-letter topic pushes to. */
export const DEAD_LETTER_SINK = 'storeDeadLetter';

/** The dead-letter sink learns which read model gave up on a message from the subscription it came through. */
export function readModelOfDeadLetterSubscription(subscription: string): string | null {
  for (const [functionName, projection] of Object.entries(projectors)) {
    if (deadLetterSinkSubscriptionName(pushSubscriptionName(functionName)) === subscription) return projection.name;
  }
  return null;
}

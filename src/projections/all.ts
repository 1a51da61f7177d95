/** Every read model the shop keeps. */
import { customerOrderHistoryProjection } from './customerOrderHistory.ts';
import { inventoryCountProjection } from './inventoryCount.ts';
import { orderDetailsProjection } from './orderDetails.ts';
import { paymentDeadlinesProjection } from './paymentDeadlines.ts';
import { recommendationsProjection } from './recommendations.ts';
import { salesDashboardProjection } from './salesDashboard.ts';

export const projections = [
  customerOrderHistoryProjection,
  inventoryCountProjection,
  recommendationsProjection,
  orderDetailsProjection,
  salesDashboardProjection,
  paymentDeadlinesProjection,
] as const;

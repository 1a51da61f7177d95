/** Orders as they arrive and move on, newest first, from the `recentOrders` subscription. */
import { h, render } from './dom.ts';
import { formatCents, formatTime } from './format.ts';
import type { GraphQLConnection } from './graphqlClient.ts';

const RECENT_ORDERS = /* GraphQL */ `
  subscription DashboardOrders {
    recentOrders(limit: 12) { orderId customerId customer { name } status itemCount totalCents placedAt }
  }
`;

interface RecentOrders {
  recentOrders: Array<{
    orderId: string;
    customerId: string;
    customer: { name: string | null } | null;
    status: string;
    itemCount: number;
    totalCents: number;
    placedAt: string;
  }>;
}

export function showOrders(connection: GraphQLConnection, target: Element): void {
  render(target, h('p', { class: 'muted' }, 'waiting for orders…'));
  /** Orders already shown, and in which status, so that what is new or changed can be highlighted. */
  let shown: Map<string, string> | null = null;
  connection.subscribe<RecentOrders>(RECENT_ORDERS, {}, ({ recentOrders }) => {
    const before = shown;
    shown = new Map(recentOrders.map((o) => [o.orderId, o.status]));
    if (recentOrders.length === 0) {
      render(target, h('p', { class: 'muted', 'data-testid': 'no-orders' }, 'No orders yet.'));
      return;
    }
    render(
      target,
      h(
        'table',
        { 'data-testid': 'recent-orders' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'placed'),
            h('th', {}, 'order'),
            h('th', {}, 'customer'),
            h('th', { class: 'num' }, 'items'),
            h('th', { class: 'num' }, 'total'),
            h('th', {}, 'status'),
          ),
        ),
        h(
          'tbody',
          {},
          ...recentOrders.map((order) => {
            const fresh = before !== null && before.get(order.orderId) !== order.status;
            return h(
              'tr',
              { 'data-order-id': order.orderId, class: fresh ? 'fresh' : undefined },
              h('td', {}, formatTime(order.placedAt)),
              h('td', { class: 'mono', title: order.orderId }, order.orderId.slice(0, 8)),
              h('td', {}, order.customer?.name ?? order.customerId),
              h('td', { class: 'num' }, order.itemCount),
              h('td', { class: 'num' }, formatCents(order.totalCents)),
              h('td', {}, h('span', { class: `badge status-${order.status.toLowerCase()}` }, order.status.toLowerCase())),
            );
          }),
        ),
      ),
    );
  });
}

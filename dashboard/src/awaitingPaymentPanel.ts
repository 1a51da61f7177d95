/**
 * Orders awaiting payment, soonest deadline first, each with the time left before the payment workflow
 * cancels it (the `ordersAwaitingPayment` subscription). The list changes when an order enters or leaves;
 * the countdown ticks here, every second, from each order's deadline.
 */
import { h, render } from './dom.ts';
import { formatCents } from './format.ts';
import type { GraphQLConnection } from './graphqlClient.ts';

const AWAITING_PAYMENT = /* GraphQL */ `
  subscription DashboardAwaitingPayment {
    ordersAwaitingPayment(limit: 8) { orderId customerId customer { name } totalCents dueAt }
  }
`;

interface AwaitingPayment {
  ordersAwaitingPayment: Array<{
    orderId: string;
    customerId: string | null;
    customer: { name: string | null } | null;
    totalCents: number | null;
    dueAt: string;
  }>;
}

/** "12:05" minutes and seconds left; "due" once the deadline has passed (the next sweep cancels it). */
export function formatTimeLeft(dueAt: string, now: number): string {
  const seconds = Math.ceil((Date.parse(dueAt) - now) / 1000);
  if (seconds <= 0) return 'due';
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, '0')}`;
}

export function showAwaitingPayment(connection: GraphQLConnection, target: Element): void {
  render(target, h('p', { class: 'muted' }, 'waiting for orders…'));
  let ticker: number | undefined;
  connection.subscribe<AwaitingPayment>(AWAITING_PAYMENT, {}, ({ ordersAwaitingPayment: orders }) => {
    window.clearInterval(ticker);
    if (orders.length === 0) {
      render(target, h('p', { class: 'muted', 'data-testid': 'none-awaiting-payment' }, 'No order awaits payment.'));
      return;
    }
    const countdowns = orders.map((order) => ({ dueAt: order.dueAt, cell: h('td', { class: 'num countdown' }) }));
    const tick = () => {
      // The panel left the page (sign-out): stop ticking.
      if (!target.isConnected) return window.clearInterval(ticker);
      for (const { dueAt, cell } of countdowns) render(cell, formatTimeLeft(dueAt, Date.now()));
    };
    tick();
    ticker = window.setInterval(tick, 1000);
    render(
      target,
      h(
        'table',
        { 'data-testid': 'awaiting-payment' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'order'),
            h('th', {}, 'customer'),
            h('th', { class: 'num' }, 'total'),
            h('th', { class: 'num' }, 'time left'),
          ),
        ),
        h(
          'tbody',
          {},
          ...orders.map((order, i) =>
            h(
              'tr',
              { 'data-order-id': order.orderId, title: `cancelled at ${new Date(order.dueAt).toLocaleString('en-GB')} unless paid` },
              h('td', { class: 'mono' }, order.orderId.slice(0, 8)),
              h('td', {}, order.customer?.name ?? order.customerId ?? ''),
              h('td', { class: 'num' }, order.totalCents === null ? '' : formatCents(order.totalCents)),
              countdowns[i]!.cell,
            ),
          ),
        ),
      ),
    );
  });
}

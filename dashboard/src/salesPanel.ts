/** Sales totals, the last seven days and the top sellers, from the `salesDashboard` subscription. */
import { h, render } from './dom.ts';
import { formatCents, formatCount } from './format.ts';
import type { GraphQLConnection } from './graphqlClient.ts';

const SALES = /* GraphQL */ `
  subscription DashboardSales {
    salesDashboard(days: 7) {
      summary { orders revenueCents units ordersByStatus { placed paid shipped cancelled } }
      days { date orders revenueCents }
      topSellers(limit: 5) { productId productName units revenueCents }
    }
  }
`;

interface Sales {
  salesDashboard: {
    summary: {
      orders: number;
      revenueCents: number;
      units: number;
      ordersByStatus: Record<'placed' | 'paid' | 'shipped' | 'cancelled', number>;
    };
    days: Array<{ date: string; orders: number; revenueCents: number }>;
    topSellers: Array<{ productId: string; productName: string; units: number; revenueCents: number }>;
  };
}

export function showSales(connection: GraphQLConnection, target: Element): void {
  render(target, h('p', { class: 'muted' }, 'waiting for the first figures…'));
  connection.subscribe<Sales>(SALES, {}, ({ salesDashboard: { summary, days, topSellers } }) => {
    const peak = Math.max(1, ...days.map((d) => d.revenueCents));
    render(
      target,
      h(
        'div',
        { class: 'kpis' },
        kpi('Revenue', formatCents(summary.revenueCents), 'kpi-revenue'),
        kpi('Orders', formatCount(summary.orders), 'kpi-orders'),
        kpi('Units', formatCount(summary.units), 'kpi-units'),
      ),
      h(
        'ul',
        { class: 'statuses' },
        ...(['placed', 'paid', 'shipped', 'cancelled'] as const).map((status) =>
          h(
            'li',
            { class: `status status-${status}`, 'data-testid': `status-${status}` },
            `${status} `,
            h('b', {}, formatCount(summary.ordersByStatus[status])),
          ),
        ),
      ),
      h(
        'div',
        { class: 'days', role: 'img', 'aria-label': 'Revenue per day, last 7 days' },
        ...days.map((day) =>
          h(
            'div',
            { class: 'day', title: `${day.date}: ${formatCents(day.revenueCents)} in ${day.orders} orders` },
            h('div', { class: 'bar', style: `height: ${Math.round((day.revenueCents / peak) * 100)}%` }),
            h('span', {}, day.date.slice(5)),
          ),
        ),
      ),
      h('h3', {}, 'Top sellers'),
      topSellers.length === 0
        ? h('p', { class: 'muted' }, 'No sales yet.')
        : h(
            'ol',
            { class: 'top-sellers' },
            ...topSellers.map((s) =>
              h(
                'li',
                {},
                h('span', {}, s.productName),
                h('span', { class: 'num' }, `${formatCount(s.units)} · ${formatCents(s.revenueCents)}`),
              ),
            ),
          ),
    );
  });
}

function kpi(label: string, value: string, testId: string): HTMLElement {
  return h('div', { class: 'kpi' }, h('span', { class: 'label' }, label), h('span', { class: 'value', 'data-testid': testId }, value));
}

/**
 * A signed-in user's time on the page. The API decides who may see the dashboard: the session first asks
 * it, over HTTP, for something only operators may read (the sales summary the dashboard shows anyway).
 * Refused (AUTH.FORBIDDEN), the user sees the staff-only notice and no socket is opened; allowed, the panels
 * open their subscriptions. Should the API refuse later (a role taken away), the panels go the same way.
 *
 * Ending the session (sign-out, another user) closes the socket and removes the panels from the page, so
 * nothing the API sent for this user stays on screen for the next one.
 */
import type { User } from 'firebase/auth';
import { h, render } from './dom.ts';
import { GraphQLConnection, queryGraphQL, RefusedError, type ConnectionState, type IdToken, type Refusal } from './graphqlClient.ts';
import { showAwaitingPayment } from './awaitingPaymentPanel.ts';
import { showInventory } from './inventoryPanel.ts';
import { showLag } from './lagPanel.ts';
import { showOrders } from './ordersPanel.ts';
import { showSales } from './salesPanel.ts';

const ACCESS = /* GraphQL */ `query DashboardAccess { salesDashboard(days: 1) { summary { orders } } }`;
const ACCESS_RETRY_MS = 3_000;

export interface SessionUi {
  /** Where the dashboard, or the notice shown instead, goes. */
  readonly view: Element;
  /** The connection indicator; null hides it (no connection). */
  readonly onState: (state: ConnectionState | null) => void;
  /** Signs the user out; `notice` is shown on the sign-in form. */
  readonly signOut: (notice?: string) => void;
}

export interface Session {
  readonly uid: string;
  end(): void;
}

export function startSession(user: User, ui: SessionUi): Session {
  let ended = false;
  let connection: GraphQLConnection | null = null;
  let retry: number | undefined;
  // The SDK hands out the cached token until it is about to expire, then a refreshed one.
  const idToken: IdToken = (forceRefresh) => user.getIdToken(forceRefresh);

  const refused = (code: Refusal) => {
    connection?.close();
    connection = null;
    ui.onState(null);
    if (code === 'AUTH.FORBIDDEN') showStaffOnly(ui.view, user, () => ui.signOut());
    else ui.signOut('The API did not accept this sign-in: please sign in again.');
  };

  const open = () => {
    connection = new GraphQLConnection({ idToken, onState: ui.onState, onRefused: refused });
    const panels = dashboardPanels();
    render(ui.view, panels.grid);
    showSales(connection, panels.sales);
    showOrders(connection, panels.orders);
    showAwaitingPayment(connection, panels.awaitingPayment);
    showInventory(connection, panels.inventory, panels.alerts);
    showLag(connection, panels.lag);
  };

  const checkAccess = () => {
    queryGraphQL(idToken, ACCESS).then(
      () => {
        if (!ended) open();
      },
      (error: unknown) => {
        if (ended) return;
        if (error instanceof RefusedError) {
          refused(error.code);
          return;
        }
        console.warn('checking access failed', error);
        render(
          ui.view,
          h('p', { class: 'card notice muted', 'data-testid': 'api-unreachable' }, 'The API cannot be reached right now: trying again…'),
        );
        retry = window.setTimeout(checkAccess, ACCESS_RETRY_MS);
      },
    );
  };

  ui.onState(null);
  render(ui.view, h('p', { class: 'card notice muted', 'data-testid': 'checking-access' }, 'Checking your access…'));
  checkAccess();

  return {
    uid: user.uid,
    end() {
      ended = true;
      window.clearTimeout(retry);
      connection?.close();
      connection = null;
      ui.onState(null);
      render(ui.view);
    },
  };
}

function showStaffOnly(target: Element, user: User, signOut: () => void): void {
  const button = h('button', { type: 'button', 'data-testid': 'staff-only-sign-out' }, 'Sign out and use a staff account');
  button.addEventListener('click', signOut);
  render(
    target,
    h(
      'section',
      { class: 'card notice', 'data-testid': 'staff-only', role: 'alert' },
      h('h2', {}, 'Staff only'),
      h(
        'p',
        {},
        'The live dashboard is for operations staff. ',
        h('b', {}, user.email ?? user.uid),
        ' is signed in, but does not hold the operator role.',
      ),
      h('p', { class: 'muted' }, 'Sign in with a staff account, or ask an administrator to grant this one the operator role.'),
      button,
    ),
  );
}

/** The dashboard's layout, new for every session. */
function dashboardPanels() {
  const panel = (name: string, title: string) => {
    const body = h('div', {});
    const section = h(
      'section',
      { class: `panel ${name}`, 'aria-labelledby': `${name}-title` },
      h('h2', { id: `${name}-title` }, title),
      body,
    );
    return { section, body };
  };
  const sales = panel('sales', 'Sales');
  const orders = panel('orders', 'Orders arriving');
  const inventory = panel('inventory', 'Inventory');
  const awaitingPayment = panel('awaiting-payment', 'Awaiting payment');
  const alerts = panel('alerts', 'Low-stock alerts');
  const lag = panel('lag', 'Projection lag');
  return {
    grid: h(
      'div',
      { class: 'grid' },
      sales.section,
      orders.section,
      inventory.section,
      h('div', { class: 'side' }, awaitingPayment.section, alerts.section, lag.section),
    ),
    sales: sales.body,
    orders: orders.body,
    inventory: inventory.body,
    awaitingPayment: awaitingPayment.body,
    alerts: alerts.body,
    lag: lag.body,
  };
}

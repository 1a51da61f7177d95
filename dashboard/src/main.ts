/** The live dashboard: every panel is driven by GraphQL subscriptions over one WebSocket to the API. */
import './style.css';
import { GraphQLConnection } from './graphqlClient.ts';
import { showInventory } from './inventoryPanel.ts';
import { showLag } from './lagPanel.ts';
import { showOrders } from './ordersPanel.ts';
import { showSales } from './salesPanel.ts';

const byId = (id: string): HTMLElement => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element;
};

const indicator = document.querySelector<HTMLElement>('[data-testid=connection]')!;
const connection = new GraphQLConnection((state) => {
  indicator.dataset.state = state;
  indicator.textContent = state === 'live' ? 'live' : `${state}…`;
});

showSales(connection, byId('sales'));
showOrders(connection, byId('orders'));
showInventory(connection, byId('inventory'), byId('alerts'));
showLag(connection, byId('lag'));

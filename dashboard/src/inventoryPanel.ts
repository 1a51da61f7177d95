/**
 * Stock levels of the catalog and the low-stock alerts. The catalog is read page by page (`products`), each
 * product is then followed by its own `productInventory` subscription (the API shares one Firestore listener
 * per product among all open dashboards), and `lowStockAlerts` streams the products that become low or recover.
 * The catalog is read again now and then to pick up products added since.
 */
import { h, render } from './dom.ts';
import { formatCount } from './format.ts';
import type { GraphQLConnection } from './graphqlClient.ts';

const PRODUCT_FIELDS = 'id name status available onHand reserved lowStock lowStockThreshold';
const PRODUCTS = /* GraphQL */ `
  query DashboardProducts($after: String) {
    products(first: 100, after: $after) { edges { node { ${PRODUCT_FIELDS} } } pageInfo { hasNextPage endCursor } }
  }
`;
const PRODUCT = /* GraphQL */ `subscription DashboardProduct($id: ID!) { productInventory(productId: $id) { ${PRODUCT_FIELDS} } }`;
const LOW_STOCK = /* GraphQL */ `subscription DashboardLowStock { lowStockAlerts { ${PRODUCT_FIELDS} } }`;
const CATALOG_REFRESH_MS = 15_000;

interface Product {
  id: string;
  name: string;
  status: 'ACTIVE' | 'DISCONTINUED';
  available: number;
  onHand: number;
  reserved: number;
  lowStock: boolean;
  lowStockThreshold: number;
}

interface ProductsPage {
  products: { edges: Array<{ node: Product }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

export function showInventory(connection: GraphQLConnection, inventoryTarget: Element, alertsTarget: Element): void {
  const products = new Map<string, Product>();
  const lowStock = new Map<string, Product>();
  let scheduled = false;
  // Many products can change in one burst: draw once per frame.
  const redraw = () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      drawInventory(inventoryTarget, [...products.values()]);
      drawAlerts(alertsTarget, [...lowStock.values()]);
    });
  };

  const follow = (product: Product) => {
    if (products.has(product.id)) return;
    products.set(product.id, product);
    connection.subscribe<{ productInventory: Product | null }>(PRODUCT, { id: product.id }, ({ productInventory }) => {
      if (!productInventory) return;
      products.set(productInventory.id, productInventory);
      redraw();
    });
  };

  const readCatalog = async () => {
    try {
      let after: string | null = null;
      do {
        const page: ProductsPage = await connection.query<ProductsPage>(PRODUCTS, { after });
        for (const { node } of page.products.edges) follow(node);
        after = page.products.pageInfo.hasNextPage ? page.products.pageInfo.endCursor : null;
      } while (after);
      redraw();
    } catch (error) {
      if (!connection.signal.aborted) console.warn('reading the catalog failed', error);
    }
  };

  render(inventoryTarget, h('p', { class: 'muted' }, 'reading the catalog…'));
  render(alertsTarget, h('p', { class: 'muted' }, 'watching stock…'));
  void readCatalog();
  const refresh = window.setInterval(() => void readCatalog(), CATALOG_REFRESH_MS);
  connection.signal.addEventListener('abort', () => window.clearInterval(refresh));

  connection.subscribe<{ lowStockAlerts: Product[] }>(LOW_STOCK, {}, ({ lowStockAlerts }) => {
    for (const product of lowStockAlerts) {
      if (product.lowStock) lowStock.set(product.id, product);
      else lowStock.delete(product.id);
      // A product the catalog read has not seen yet (added since): follow it too.
      follow(product);
    }
    redraw();
  });
}

function drawInventory(target: Element, products: Product[]): void {
  if (products.length === 0) {
    render(target, h('p', { class: 'muted' }, 'The catalog is empty.'));
    return;
  }
  products.sort((a, b) => Number(b.lowStock) - Number(a.lowStock) || a.name.localeCompare(b.name));
  const scale = Math.max(1, ...products.map((p) => p.onHand));
  render(
    target,
    h(
      'table',
      { 'data-testid': 'inventory' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'product'),
          h('th', { class: 'num' }, 'available'),
          h('th', { class: 'num' }, 'reserved'),
          h('th', { class: 'num' }, 'on hand'),
          h('th', {}, ''),
        ),
      ),
      h(
        'tbody',
        {},
        ...products.map((p) =>
          h(
            'tr',
            {
              'data-product-id': p.id,
              'data-available': p.available,
              class: p.lowStock ? 'low' : p.status === 'DISCONTINUED' ? 'discontinued' : undefined,
            },
            h('td', {}, p.name),
            h('td', { class: 'num' }, formatCount(p.available)),
            h('td', { class: 'num' }, formatCount(p.reserved)),
            h('td', { class: 'num' }, formatCount(p.onHand)),
            h('td', { class: 'meter' }, h('div', { class: 'fill', style: `width: ${Math.round((p.available / scale) * 100)}%` })),
          ),
        ),
      ),
    ),
  );
}

function drawAlerts(target: Element, low: Product[]): void {
  if (low.length === 0) {
    render(target, h('p', { class: 'ok', 'data-testid': 'no-alerts' }, 'All products are above their thresholds.'));
    return;
  }
  low.sort((a, b) => a.available - b.available || a.name.localeCompare(b.name));
  render(
    target,
    h(
      'ul',
      { class: 'alert-list', 'data-testid': 'low-stock' },
      ...low.map((p) =>
        h(
          'li',
          { 'data-product-id': p.id },
          h('b', {}, p.name),
          ` ${formatCount(p.available)} left`,
          h('span', { class: 'muted' }, ` (threshold ${formatCount(p.lowStockThreshold)})`),
        ),
      ),
    ),
  );
}

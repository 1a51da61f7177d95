/**
 * Loading the products of an order for shipping or cancelling, which move their stock in the same
 * commit as the order's own event.
 */
import { productEvolution, type Product } from '../catalog/product.ts';
import { productStreamId, type ProductEvent } from '../catalog/productEvents.ts';
import type { StreamLoader } from '../core/commandHandler.ts';
import type { OrderLine } from './orderEvents.ts';

export async function loadOrderProducts(lines: readonly OrderLine[], load: StreamLoader): Promise<Map<string, Product>> {
  const ids = [...new Set(lines.map((l) => l.productId))];
  const loaded = await Promise.all(
    ids.map((id) => load.aggregate(productStreamId(id), productEvolution)),
  );
  return new Map(ids.map((id, i) => [id, loaded[i]!.state]));
}

export function productAppends(events: ReadonlyMap<string, ProductEvent[]>) {
  return [...events].map(([productId, productEvents]) => ({ streamId: productStreamId(productId), events: productEvents }));
}

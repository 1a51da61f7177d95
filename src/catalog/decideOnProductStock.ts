/**
 * Stock commands over every stream that holds a product's stock: the product's own stream for a product
 * added before stock buckets existed (`stockBuckets: 0`), its buckets otherwise (stockBucket.ts). Loading
 * is the only I/O; what to append is decided by the pure functions beside each command.
 */
import type { Decision, StreamCommandResult, StreamLoader } from '../core/commandHandler.ts';
import { assertNever } from '../core/decider.ts';
import { discontinueBuckets, type DiscontinueProduct } from './discontinueProduct.ts';
import { activeProduct, type ExistingProduct, type Product } from './product.ts';
import { productDecider, type StockCommand } from './productDecider.ts';
import { type ProductEvent, productStreamId, stockBucketStreamId } from './productEvents.ts';
import { releaseStockInBuckets } from './releaseStock.ts';
import { reserveStockInBuckets } from './reserveStock.ts';
import { restockBuckets, type RestockProduct } from './restockProduct.ts';
import { shipReservedStockFromBuckets } from './shipReservedStock.ts';
import { bucketAvailableUnits, type BucketEvents, type LoadedBucket, stockBucketEvolution } from './stockBucket.ts';

/** Which bucket an order tries first, given how many the product has. */
export type BucketPicker = (bucketCount: number) => number;

/**
 * Round robin from a random place: the orders one instance has in flight go to different buckets (with as
 * many buckets as orders in flight, none collide), and instances start at unrelated places. A retried
 * order asks again, so it moves on from the bucket it lost on.
 */
export function roundRobinBuckets(random: () => number = Math.random): BucketPicker {
  let next = Math.floor(random() * 2 ** 31);
  return (bucketCount) => next++ % bucketCount;
}

/** What every order of this process starts from, unless a caller passes its own picker (tests). */
export const defaultBucketPicker: BucketPicker = roundRobinBuckets();

export interface StreamEvents {
  readonly streamId: string;
  readonly events: ProductEvent[];
}

const isBucketed = (product: Product): product is ExistingProduct => product.status !== 'NONE' && product.stockBuckets > 0;

/**
 * Reserve, release or ship one product's units for an order, given the product's state: the events per
 * stream. A reservation reads one bucket when that bucket has the units (the common case), and every
 * bucket only when it has not. A release or a shipment reads the buckets the order says hold its units
 * (`inBuckets`), and every bucket for an order that does not say.
 */
export async function decideStockMove(
  command: StockCommand,
  product: Product,
  load: StreamLoader,
  pickBucket: BucketPicker = defaultBucketPicker,
): Promise<StreamEvents[]> {
  if (!isBucketed(product)) return [{ streamId: productStreamId(command.productId), events: productDecider.decide(command, product) }];
  switch (command.type) {
    case 'ReserveStock': {
      activeProduct(product, command.productId);
      const start = pickBucket(product.stockBuckets) % product.stockBuckets;
      const [first] = await loadBuckets(load, product, [start]);
      const enough = bucketAvailableUnits(product, start, first!.state) >= command.quantity;
      const buckets =
        enough || first!.state.discontinued ? [first!] : [first!, ...(await loadBuckets(load, product, othersAfter(start, product)))];
      return toStreams(command.productId, reserveStockInBuckets(command, product, buckets));
    }
    case 'ReleaseStock':
      return toStreams(command.productId, releaseStockInBuckets(command, product, await loadBuckets(load, product, command.inBuckets)));
    case 'ShipReservedStock':
      return toStreams(
        command.productId,
        shipReservedStockFromBuckets(command, product, await loadBuckets(load, product, command.inBuckets)),
      );
    default:
      return assertNever(command);
  }
}

/**
 * RestockProduct and DiscontinueProduct as `runCommand` decides them, answering with the product stream's
 * consistency token. A bucketed product's restock writes to its buckets only; its discontinue to its stream
 * and every bucket.
 */
export function decideOnProductStock(
  command: RestockProduct | DiscontinueProduct,
): (load: StreamLoader) => Promise<Decision<StreamCommandResult>> {
  return async (load) => {
    const streamId = productStreamId(command.productId);
    const { state: product, version } = await load.aggregate(streamId, productDecider);
    const own = isBucketed(product) && command.type === 'RestockProduct' ? [] : productDecider.decide(command, product);
    const inBuckets = isBucketed(product) ? await decideInBuckets(command, product, load) : [];
    return { appends: [{ streamId, events: own }, ...inBuckets], result: { streamId, version: version + own.length } };
  };
}

async function decideInBuckets(
  command: RestockProduct | DiscontinueProduct,
  product: ExistingProduct,
  load: StreamLoader,
): Promise<StreamEvents[]> {
  const buckets = await loadBuckets(load, product);
  switch (command.type) {
    case 'RestockProduct':
      return toStreams(command.productId, restockBuckets(command, product, buckets));
    case 'DiscontinueProduct':
      return toStreams(command.productId, discontinueBuckets(command, product, buckets));
    default:
      return assertNever(command);
  }
}

/** Every bucket but `start`, going round from the one after it. */
function othersAfter(start: number, product: ExistingProduct): number[] {
  return Array.from({ length: product.stockBuckets - 1 }, (_, i) => (start + 1 + i) % product.stockBuckets);
}

/** The given buckets (default: all), in parallel: one round trip however many. */
async function loadBuckets(
  load: StreamLoader,
  product: ExistingProduct,
  indexes: readonly number[] = Array.from({ length: product.stockBuckets }, (_, i) => i),
): Promise<LoadedBucket[]> {
  return Promise.all(
    indexes.map(async (index) => ({
      index,
      state: (await load.aggregate(stockBucketStreamId(product.productId, index), stockBucketEvolution)).state,
    })),
  );
}

function toStreams(productId: string, buckets: BucketEvents): StreamEvents[] {
  return buckets.map(({ bucket, events }) => ({ streamId: stockBucketStreamId(productId, bucket), events }));
}

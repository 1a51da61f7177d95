/**
 * Per-request batching of view reads: every view a query resolves in one tick of the event loop is
 * read with one `getMany` (one round trip) per projection, and each view is read at most once per
 * request (no N+1). Loaders are keyed by projection name.
 *
 * A subscription keeps one context for its whole life, so its resolvers call `clearAll()` before
 * each event: a later event must not be answered from an earlier event's cache.
 */
import DataLoader from 'dataloader';
import type { AnyProjection } from '../core/projection.ts';
import type { ReadModels } from '../core/readModels.ts';

export class ViewLoaders {
  private readonly loaders = new Map<string, DataLoader<string, unknown>>();

  constructor(private readonly readModels: Pick<ReadModels, 'getMany'>) {}

  load<View>(projection: AnyProjection<View>, id: string): Promise<View | null> {
    return this.loader(projection).load(id);
  }

  async loadMany<View>(projection: AnyProjection<View>, ids: readonly string[]): Promise<Array<View | null>> {
    const results = await this.loader(projection).loadMany(ids);
    return results.map((result) => {
      if (result instanceof Error) throw result;
      return result;
    });
  }

  /** Seeds the cache with views read another way (a page of a list), so fields of theirs hit it. */
  prime<View>(projection: AnyProjection<View>, id: string, view: View): void {
    this.loader(projection).prime(id, view);
  }

  clearAll(): void {
    for (const loader of this.loaders.values()) loader.clearAll();
  }

  private loader<View>(projection: AnyProjection<View>): DataLoader<string, View | null> {
    let loader = this.loaders.get(projection.name);
    if (!loader) {
      loader = new DataLoader<string, unknown>((ids) => this.readModels.getMany(projection, ids), {
        // One getMany of at most this many views; larger batches are split.
        maxBatchSize: 300,
      });
      this.loaders.set(projection.name, loader);
    }
    return loader as DataLoader<string, View | null>;
  }
}

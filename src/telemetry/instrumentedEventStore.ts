/**
 * The event store port, traced and measured at its boundary, for one command: each append is a span
 * (`append`, with the Firestore client's own commit span inside) and a latency sample; a refused append
 * counts as a conflict. The wrapper counts its appends, so the caller learns how often the command was
 * decided again after a conflict without the command runner having to report it.
 */
import { SpanKind } from '@opentelemetry/api';
import { ConcurrencyError } from '../core/errors.ts';
import type { AppendOptions, AppendResult, EventStore, ReadStreamOptions, StreamAppend } from '../core/eventStore.ts';
import { eventloomMetrics } from './metrics.ts';
import { ATTR, inSpan } from './tracing.ts';

export class InstrumentedEventStore implements EventStore {
  /** Appends attempted through this wrapper, refused ones included. */
  appends = 0;

  constructor(
    private readonly store: EventStore,
    private readonly commandName: string,
  ) {}

  appendToStreams(appends: readonly StreamAppend[], options?: AppendOptions): Promise<AppendResult> {
    this.appends += 1;
    const attempt = this.appends;
    const metrics = eventloomMetrics();
    return inSpan(
      'append',
      {
        hop: 'store',
        kind: SpanKind.CLIENT,
        // Another writer got there first: the command decides again, nothing failed.
        isExpected: (error) => error instanceof ConcurrencyError,
        attributes: {
          [ATTR.command]: this.commandName,
          [ATTR.attempt]: attempt,
          'eventloom.streams': appends.length,
          'eventloom.events': appends.reduce((n, a) => n + a.events.length, 0),
          ...(appends.length === 1 ? { [ATTR.streamId]: appends[0]!.streamId } : {}),
        },
      },
      async () => {
        const started = performance.now();
        let outcome = 'error';
        try {
          const result = await this.store.appendToStreams(appends, options);
          outcome = 'ok';
          return result;
        } catch (error) {
          if (error instanceof ConcurrencyError) {
            outcome = 'conflict';
            metrics.conflicts.add(1, { command: this.commandName });
          }
          throw error;
        } finally {
          metrics.appendDuration.record((performance.now() - started) / 1000, { outcome });
        }
      },
    );
  }

  readStream(streamId: string, options?: ReadStreamOptions) {
    return this.store.readStream(streamId, options);
  }

  findIdempotencyRecord(key: string) {
    return this.store.findIdempotencyRecord(key);
  }
}

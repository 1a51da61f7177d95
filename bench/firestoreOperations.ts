/**
 * Counts the Firestore operations a process performs, as production Firestore bills and limits them, from the
 * requests its clients send and the answers they get: a gRPC interceptor on every call of every client
 * (registered with interceptFirestoreCalls, src/firestore/createFirestore.ts), so the API, the relay and the
 * projector functions running in one process are all counted, whoever sends what.
 *
 * - Writes and deletes: the writes of each Commit (a transaction's or a batch's) and BatchWrite that succeeded.
 * - Reads: one per document a BatchGetDocuments answers (found or missing), a query returns (at least one per
 *   query, as Firestore bills an empty result), an aggregation answers (one per 1,000 index entries counted,
 *   at least one), or a listener receives (each document added or changed in its result, once per version: the
 *   emulator sends a listener's whole result again on every change, production only what changed).
 * - Requests: round trips that read or write documents (Commit, BatchWrite, BatchGetDocuments, RunQuery,
 *   RunAggregationQuery); a listener's stream is not one.
 *
 * Each operation is put down to a component by the document it touches (see `Classify`), since one process
 * holds them all.
 */
import { InterceptingCall, type Interceptor, status } from '@grpc/grpc-js';

export interface OperationCounts {
  reads: number;
  writes: number;
  deletes: number;
  requests: number;
}

export type OperationKind = 'read' | 'create' | 'update' | 'delete';

/** What an operation is: the document (path below `documents/`), how it was touched, through which RPC. */
export interface Operation {
  readonly path: string;
  readonly kind: OperationKind;
  /** The RPC's short name: Commit, BatchGetDocuments, RunQuery, RunAggregationQuery, Listen, BatchWrite. */
  readonly rpc: string;
}

/** The component an operation belongs to, by the document it touches. */
export type Classify = (operation: Operation) => string;

export const emptyCounts = (): OperationCounts => ({ reads: 0, writes: 0, deletes: 0, requests: 0 });

/** `projects/p/databases/(default)/documents/streams/x` → `streams/x`. */
function documentPath(name: string): string {
  const at = name.indexOf('/documents/');
  return at < 0 ? '' : name.slice(at + '/documents/'.length);
}

interface WriteProto {
  readonly update?: { readonly name?: string };
  readonly delete?: string;
  readonly transform?: { readonly document?: string };
  readonly currentDocument?: { readonly exists?: boolean };
}

interface QueryRequest {
  readonly parent?: string;
  readonly structuredQuery?: { readonly from?: ReadonlyArray<{ readonly collectionId?: string }> };
  readonly structuredAggregationQuery?: { readonly structuredQuery?: QueryRequest['structuredQuery'] };
}

function writeOperation(write: WriteProto): Operation {
  if (write.delete) return { path: documentPath(write.delete), kind: 'delete', rpc: 'Commit' };
  const name = write.update?.name ?? write.transform?.document ?? '';
  return { path: documentPath(name), kind: write.currentDocument?.exists === false ? 'create' : 'update', rpc: 'Commit' };
}

/** The collection a query runs over, as a path (`streams/x/events`, or `events` for a collection group). */
function queryPath(request: QueryRequest): string {
  const query = request.structuredQuery ?? request.structuredAggregationQuery?.structuredQuery;
  const parent = documentPath(`${request.parent ?? ''}/`).replace(/\/$/, '');
  const collection = query?.from?.[0]?.collectionId ?? '';
  return parent ? `${parent}/${collection}` : collection;
}

export class FirestoreOperationCounter {
  private readonly counts = new Map<string, OperationCounts>();

  constructor(
    private readonly classify: Classify,
    /** The component of the caller that starts a call, when it says (an AsyncLocalStorage store); else `classify`. */
    private readonly callerOf: () => string | undefined = () => undefined,
  ) {}

  /** A copy of the counts so far, by component. */
  snapshot(): Map<string, OperationCounts> {
    return new Map([...this.counts].map(([component, counts]) => [component, { ...counts }]));
  }

  /** All counts so far, whatever the component: a cheap "has anything happened" for settling. */
  total(): number {
    let total = 0;
    for (const counts of this.counts.values()) total += counts.reads + counts.writes + counts.deletes + counts.requests;
    return total;
  }

  private add(operation: Operation & { readonly caller?: string }, field: keyof OperationCounts, amount = 1): void {
    const component = operation.caller ?? this.classify(operation);
    const counts = this.counts.get(component) ?? emptyCounts();
    counts[field] += amount;
    this.counts.set(component, counts);
  }

  readonly interceptor: Interceptor = (options, nextCall) => {
    const rpc = String(options.method_definition.path).split('/').pop() ?? '';
    const caller = this.callerOf();
    const call: CallState = {
      rpc,
      writes: [],
      queried: null,
      documents: 0,
      listened: new Map(),
      add: (operation, field, amount = 1) => this.add({ ...operation, caller }, field, amount),
    };
    const requester = {
      start: (metadata: unknown, _listener: unknown, next: (metadata: unknown, listener: unknown) => void) => {
        next(metadata, {
          onReceiveMessage: (message: Record<string, unknown>, nextMessage: (message: unknown) => void) => {
            this.onResponse(call, message);
            nextMessage(message);
          },
          onReceiveStatus: (received: { code: number }, nextStatus: (status: unknown) => void) => {
            if (received.code === status.OK && rpc === 'Commit') {
              for (const write of call.writes) call.add(write, write.kind === 'delete' ? 'deletes' : 'writes');
              if (call.writes[0]) call.add(call.writes[0], 'requests');
            }
            // Firestore bills a query that returns nothing one read.
            if (received.code === status.OK && rpc === 'RunQuery' && call.queried && call.documents === 0) call.add(call.queried, 'reads');
            nextStatus(received);
          },
        });
      },
      sendMessage: (message: Record<string, unknown>, next: (message: unknown) => void) => {
        if (rpc === 'Commit' || rpc === 'BatchWrite') {
          call.writes = ((message.writes as WriteProto[] | undefined) ?? []).map((write) => ({ ...writeOperation(write), rpc }));
        }
        if (rpc === 'RunQuery' || rpc === 'RunAggregationQuery') {
          call.queried = { path: queryPath(message as QueryRequest), kind: 'read', rpc };
          call.add(call.queried, 'requests');
        }
        if (rpc === 'BatchGetDocuments') {
          const names = (message.documents as string[] | undefined) ?? [];
          if (names[0]) call.add({ path: documentPath(names[0]), kind: 'read', rpc }, 'requests');
        }
        next(message);
      },
    };
    return new InterceptingCall(nextCall(options), requester as never);
  };

  private onResponse(call: CallState, message: Record<string, unknown>): void {
    const { rpc } = call;
    switch (rpc) {
      case 'BatchGetDocuments': {
        const found = message.found as { name?: string } | null | undefined;
        const name = found?.name ?? (message.missing as string | null | undefined);
        if (name) call.add({ path: documentPath(name), kind: 'read', rpc }, 'reads');
        return;
      }
      case 'RunQuery': {
        // Put down to the collection queried: a collection-group query's documents live all over the store.
        const document = message.document as { name?: string } | null | undefined;
        if (document?.name && call.queried) {
          call.documents++;
          call.add(call.queried, 'reads');
        }
        return;
      }
      case 'RunAggregationQuery': {
        if (!message.result || !call.queried) return;
        const fields = (message.result as { aggregateFields?: Record<string, { integerValue?: string | number }> }).aggregateFields ?? {};
        const counted = Math.max(0, ...Object.values(fields).map((value) => Number(value.integerValue ?? 0)));
        call.add(call.queried, 'reads', Math.max(1, Math.ceil(counted / 1000)));
        return;
      }
      case 'Listen': {
        const change = message.documentChange as ListenedChange | null | undefined;
        const name = change?.document?.name;
        if (!name || (change.targetIds?.length ?? 0) === 0) return;
        // The emulator answers every change to a listened query with a RESET and the whole result again, where
        // production sends only what was added or changed: a version this listener has already received is
        // not counted again.
        const version = `${change.document?.updateTime?.seconds ?? ''}.${change.document?.updateTime?.nanos ?? ''}`;
        if (call.listened.get(name) === version) return;
        call.listened.set(name, version);
        call.add({ path: documentPath(name), kind: 'read', rpc }, 'reads');
        return;
      }
      case 'BatchWrite': {
        // Each write of a BatchWrite succeeds or fails on its own: counted from the answer's statuses.
        const statuses = (message.status as Array<{ code?: number }> | undefined) ?? [];
        statuses.forEach((s, i) => {
          const write = call.writes[i];
          if (write && (s.code ?? 0) === status.OK) call.add(write, write.kind === 'delete' ? 'deletes' : 'writes');
        });
        if (call.writes[0]) call.add(call.writes[0], 'requests');
        return;
      }
      default:
        return;
    }
  }
}

interface CallState {
  readonly rpc: string;
  /** Counts an operation of this call, as its caller's when the caller said whose it is. */
  readonly add: (operation: Operation, field: keyof OperationCounts, amount?: number) => void;
  writes: Operation[];
  queried: Operation | null;
  documents: number;
  /** A listener's documents: the version (update time) of each it has received. */
  readonly listened: Map<string, string>;
}

interface ListenedChange {
  readonly document?: { readonly name?: string; readonly updateTime?: { readonly seconds?: string | number; readonly nanos?: number } };
  readonly targetIds?: number[];
}

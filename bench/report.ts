/** Turns the measurements into the markdown the bench prints on stdout. */
import { availableParallelism } from 'node:os';
import { DEFAULT_MAX_ATTEMPTS } from '../src/core/commandHandler.ts';
import { DEFAULT_STOCK_BUCKETS } from '../src/catalog/addProduct.ts';
import { APPEND_SIDES, type AppendThroughputResult } from './appendThroughput.ts';
import { AUTH_SIDES, type AuthCostResult } from './authCost.ts';
import { renderCapacitySection, type CapacityResult } from './capacity.ts';
import { TRACING_SIDES, type TracingOverheadResult } from './tracingOverhead.ts';
import { VARIANTS, type ContentionResult } from './contention.ts';
import { renderColdStartSection, type ColdStartResult } from './coldStart.ts';
import { describeRelayDiscovery } from './devRelay.ts';
import type { EndToEndResult } from './endToEndLatency.ts';
import { SIDES, type HotProductResult } from './hotProduct.ts';
import type { SnapshotLoadResult } from './snapshotLoading.ts';
import { renderPersonalDataCostSection, type PersonalDataCostResult } from './personalDataCost.ts';
import { renderQueryLimitsSection, type QueryLimitsResult } from './queryLimits.ts';
import { renderProjectionLagSection, type ProjectionLagResult } from './projectionLag.ts';
import { renderConcurrentPushesSection, type ConcurrentPushesResult } from './concurrentPushes.ts';
import { renderLiveDashboardSection, type LiveDashboardResult } from './liveDashboard.ts';
import { renderRebuildRateSection, type RebuildRateResult } from './rebuildRate.ts';
import type { RelayScaleOutResult } from './relayScaleOut.ts';
import { renderSubscriptionSection, type SubscriptionResult } from './subscriptions.ts';
import { fixed, markdownTable, ratio, whole } from './markdown.ts';
import { median } from './stats.ts';

/** The parts that ran (`--only` runs some); each renders its own section. */
export interface BenchReport {
  readonly mode: 'full' | 'quick';
  readonly append?: readonly AppendThroughputResult[];
  readonly contention?: readonly ContentionResult[];
  readonly endToEnd?: EndToEndResult & { readonly orders: number };
  readonly hotProduct?: readonly HotProductResult[];
  readonly snapshots?: SnapshotLoadResult;
  readonly subscriptions?: SubscriptionResult;
  readonly authCost?: AuthCostResult;
  readonly queryLimits?: QueryLimitsResult;
  readonly personalData?: PersonalDataCostResult;
  readonly tracing?: TracingOverheadResult;
  readonly projectionLag?: ProjectionLagResult;
  readonly concurrentPushes?: ConcurrentPushesResult;
  readonly rebuildRate?: RebuildRateResult;
  readonly liveDashboard?: LiveDashboardResult;
  readonly relays?: RelayScaleOutResult;
  readonly coldStart?: ColdStartResult;
  readonly capacity?: CapacityResult;
  readonly totalSeconds: number;
}

export function renderReport(report: BenchReport): string {
  const section = <T>(result: T | undefined, render: (result: T) => string[]) => (result === undefined ? [] : render(result));
  return [
    `# Eventloom bench (${report.mode} run)`,
    '',
    `Node ${process.version}, ${availableParallelism()} CPUs, Firestore, Pub/Sub and Auth emulators started for this run; ` +
      `${fixed(report.totalSeconds, 0)} s in all. Every ratio compares figures measured in this same run.`,
    '',
    ...section(report.append, appendSection),
    ...section(report.contention, contentionSection),
    ...section(report.endToEnd, endToEndSection),
    ...section(report.hotProduct, hotProductSection),
    ...section(report.snapshots, snapshotSection),
    ...section(report.subscriptions, (result) => [renderSubscriptionSection(result)]),
    ...section(report.authCost, authCostSection),
    ...section(report.queryLimits, (result) => [renderQueryLimitsSection(result)]),
    ...section(report.personalData, (result) => [renderPersonalDataCostSection(result)]),
    ...section(report.tracing, tracingSection),
    ...section(report.projectionLag, (result) => [renderProjectionLagSection(result)]),
    ...section(report.concurrentPushes, (result) => [renderConcurrentPushesSection(result)]),
    ...section(report.rebuildRate, (result) => [renderRebuildRateSection(result)]),
    ...section(report.liveDashboard, (result) => [renderLiveDashboardSection(result)]),
    ...section(report.relays, relaysSection),
    ...section(report.coldStart, (result) => [renderColdStartSection(result)]),
    ...section(report.capacity, (result) => [renderCapacitySection(result)]),
  ].join('\n');
}

function appendSection(results: readonly AppendThroughputResult[]): string[] {
  const goal = (r: AppendThroughputResult) => (r.scenario === 'own streams' && r.writers === 1 ? 1.5 : 1.0);
  return [
    '## (a) Append throughput: one event per append to streams that already exist',
    '',
    'The workload commands produce: each writer appends versions 2, 3, ... to an existing stream (8 writers on one ' +
      'hot stream re-read its head after losing a race). `create`: a plain `create()` of the event document. ' +
      '`ddd-ts`: a transaction that only creates it (@ddd-ts/event-sourcing-firestore). `store`: ' +
      '`appendToStreams` as commands call it (`readAtExpectedVersion`): one commit holding the event document, ' +
      'its own outbox entry. `outbox record`: the same plus a separate outbox document per commit (the design not ' +
      'taken). Events/s are successful appends; on the hot stream "attempts" counts commits tried per success. ' +
      'The sides run in rotating blocks; "store / ddd-ts" is the median of the ratios measured within each block ' +
      '(the sides of one block run back to back, so a drift of the shared machine hits them alike; the ratio of ' +
      'the totals follows whichever block the emulator paused in), "totals" the ratio of all appends over all time. ' +
      '@google-cloud/firestore commits a transaction that read nothing as a plain Commit without a transaction id ' +
      '(build/src/transaction.js, `commit()`), so `create`, `ddd-ts` and `store` send the same single request; ' +
      "the store's document carries one field more (its outbox marker). `create` goes through " +
      '`WriteBatch.commit()`, whose retry wrapper (google-gax) costs more the more requests overlap; `ddd-ts` ' +
      'through the transaction runner, which waits a timer tick before its first attempt; the store sends a lone ' +
      'append as a batch and overlapping ones through the runner. "lost", "dup." and "gaps" come from reading every stream back.',
    '',
    markdownTable(
      [
        'writers',
        'appends per side',
        ...APPEND_SIDES.map((s) => `${s} (events/s)`),
        'store / ddd-ts (goal)',
        'per-block range',
        'store / ddd-ts, totals',
        'store / create',
        'outbox record / store',
        'attempts (store, ddd-ts)',
        'lost',
        'dup.',
        'gaps',
      ],
      results.map((r) => [
        r.scenario === 'own streams' ? `${r.writers}, own streams` : `${r.writers}, one stream`,
        whole(r.appendsPerSide),
        ...APPEND_SIDES.map((s) => whole(r.eventsPerSecond[s])),
        `${ratio(median(r.blockRatios))} (≥ ${fixed(goal(r), 1)})`,
        `${fixed(Math.min(...r.blockRatios), 2)}–${fixed(Math.max(...r.blockRatios), 2)}`,
        ratio(r.eventsPerSecond.store / r.eventsPerSecond['ddd-ts']),
        ratio(r.eventsPerSecond.store / r.eventsPerSecond.create),
        ratio(r.eventsPerSecond['outbox record'] / r.eventsPerSecond.store),
        `${fixed(r.attemptsPerAppend.store, 2)}, ${fixed(r.attemptsPerAppend['ddd-ts'], 2)}`,
        r.lost,
        r.duplicated,
        r.gaps,
      ]),
    ),
    '',
  ];
}

function relaysSection(r: RelayScaleOutResult): string[] {
  return [
    `## (k) Outbox relays on ${r.instances} API instances`,
    '',
    `${r.instances} API processes (src/main.ts, default lease timings) share the emulators and the outbox partitions by ` +
      'leases; events committed through the event store, publications counted on a pull subscription of the ' +
      'domain topic. Before leases every instance published every event (the issue measured 2.56 per event with 3). ' +
      'In the second phase one process is SIGKILLed a third of the way through the burst; "takeover" is the time ' +
      'from the kill until the survivors hold every partition: by design about the lease (12 s) plus a heartbeat (4 s), ' +
      "plus however long the survivors' heartbeat rounds take on the machine, and the 0.2 s this bench polls at.",
    '',
    markdownTable(
      ['phase', 'events', 'publications', 'per event (goal)', 'lost (goal 0)', 'takeover (s)'],
      [
        [
          'steady state',
          whole(r.steady.events),
          whole(r.steady.publications),
          `${fixed(r.steady.publications / r.steady.events, 3)} (≤ 1.05)`,
          '–',
          '–',
        ],
        [
          'one instance SIGKILLed',
          whole(r.killed.events),
          whole(r.killed.publications),
          fixed(r.killed.publications / r.killed.events, 3),
          r.killed.lost,
          fixed(r.killed.takeoverSeconds, 1),
        ],
      ],
    ),
    '',
  ];
}

function contentionSection(results: readonly ContentionResult[]): string[] {
  const writerCounts = [...new Set(results.map((r) => r.writers))];
  const rows = writerCounts.flatMap((writers) => {
    const naive = results.find((r) => r.writers === writers && r.variant === VARIANTS[2]);
    return VARIANTS.map((variant) => results.find((r) => r.writers === writers && r.variant === variant)!).map((r) => [
      r.variant,
      writers,
      r.rounds,
      whole(median(r.wallMs)),
      whole(Math.max(...r.wallMs)),
      naive ? ratio(median(r.wallMs) / median(naive.wallMs)) : 'n/a',
      r.outcomes.succeeded,
      r.outcomes.conflict,
      r.outcomes.aborted,
      r.outcomes.other,
      fixed(r.attempts / (r.writers * r.rounds), 1),
      r.loserMs.length > 0 ? whole(median(r.loserMs)) : 'n/a',
      r.brokenRounds === 0 ? 'yes' : `NO (${r.brokenRounds} rounds)`,
    ]);
  });
  // Conflicts are the expected way to lose and have their column; anything else is worth reading in full.
  const unexpected = results.flatMap((r) =>
    [...r.errors]
      .filter(([message]) => !message.startsWith('CONCURRENCY.'))
      .map(([message, count]) => `- ${count} × ${r.variant}, ${r.writers} writers: ${message}`),
  );
  return [
    '## (b) Contention: K writers append to one stream at the same expected version',
    '',
    'Counts are totals over all rounds. "vs naive": median round wall time over the naive transaction\'s. ' +
      '"loser p50": how long a losing writer waited to learn it lost.',
    '',
    markdownTable(
      [
        'design',
        'writers',
        'rounds',
        'wall p50 (ms)',
        'wall max (ms)',
        'vs naive',
        'succeeded',
        'conflicts',
        'aborted',
        'other errors',
        'attempts per writer',
        'loser p50 (ms)',
        'one event per round',
      ],
      rows,
      ['left'],
    ),
    '',
    ...(unexpected.length > 0
      ? ['Errors other than ConcurrencyError:', '', ...unexpected]
      : ['No errors other than ConcurrencyError (the expected way to lose) in any round.']),
    '',
  ];
}

function endToEndSection(result: EndToEndResult & { orders: number }): string[] {
  const row = (label: string, s: EndToEndResult['raw']) => [label, s.count, fixed(s.p50), fixed(s.p95), fixed(s.p99), fixed(s.max)];
  return [
    '## (c) End-to-end latency: placeOrder → GraphQL subscription',
    '',
    `${result.orders} orders, one at a time, each placed by its own (registered, signed-in) customer, who watches ` +
      'their orders over a graphql-ws connection of their own; raw baseline samples alternate with them. ' +
      describeRelayDiscovery(result.relay),
    '',
    markdownTable(
      ['path', 'samples', 'p50 (ms)', 'p95 (ms)', 'p99 (ms)', 'max (ms)'],
      [
        row('raw: Firestore write → onSnapshot', result.raw),
        row('placeOrder POST → subscription frame', result.endToEnd),
        row('… of which the placeOrder HTTP response', result.placeOrder),
      ],
    ),
    '',
    `Ratio of p50s, end to end / raw: ${ratio(result.endToEnd.p50 / result.raw.p50)}`,
    '',
    'Drift over the run, p50 of the first quarter of samples → p50 of the last quarter. Every order reserves stock ' +
      'on the same two products, whose streams grow by an event per order; product snapshots should keep placeOrder flat:',
    '',
    markdownTable(
      ['path', 'first quarter p50 (ms)', 'last quarter p50 (ms)', 'last / first'],
      (
        [
          ['raw: Firestore write → onSnapshot', result.drift.raw],
          ['placeOrder POST → subscription frame', result.drift.endToEnd],
          ['… of which the placeOrder HTTP response', result.drift.placeOrder],
        ] as const
      ).map(([label, [first, last]]) => [label, fixed(first), fixed(last), ratio(last / first)]),
    ),
    '',
  ];
}

function hotProductSection(results: readonly HotProductResult[]): string[] {
  const [one, distinct, oneStream] = SIDES;
  const notPlaced = (r: HotProductResult) => r.sides[one].orders - r.sides[one].succeeded;
  const failures = results.flatMap((r) =>
    SIDES.flatMap((side) =>
      [...r.sides[side].failures].map(([outcome, count]) => `- concurrency ${r.concurrency}, ${side}: ${count} × ${outcome}`),
    ),
  );
  const first = results[0];
  const last = results.at(-1);
  return [
    '## (d) Hot product: orders that succeed on ONE product, against the same concurrency over distinct products',
    '',
    'Every order buys one unit (stock enough that none is refused), through the API in-process (`api.fetch`, no socket), ' +
      "with the event store, snapshots and token verification as `src/main.ts` wires them (the customer's ID token, " +
      `verified on every order). One product: its stock split over ${DEFAULT_STOCK_BUCKETS} buckets (the default), each order ` +
      'starting at another bucket; two orders in flight on one bucket race for its next version, and the loser is decided ' +
      `again (\`runCommand\`: jittered retries, at most ${DEFAULT_MAX_ATTEMPTS} attempts). One product, one bucket: every ` +
      'order races for one stream, as before buckets. Distinct products: each worker orders a product of its own, so nothing contends. ' +
      'Fresh products every block, the sides alternate (ABBA). "attempts": commits tried (`appendToStreams` calls) per ' +
      'order; "not placed": orders that got an error result, listed below.',
    '',
    markdownTable(
      [
        'concurrency',
        'orders per side',
        'one product (orders/s)',
        'distinct products (orders/s)',
        'one / distinct',
        'one product, one bucket (orders/s)',
        'one bucket / distinct',
        'attempts per order, one',
        'attempts per order, distinct',
        'not placed, one',
        'order p50, one (ms)',
        'order p50, distinct (ms)',
        'order p95, one (ms)',
        'order p95, distinct (ms)',
      ],
      results.map((r) => [
        r.concurrency,
        r.sides[one].orders,
        fixed(r.sides[one].ordersPerSecond),
        fixed(r.sides[distinct].ordersPerSecond),
        ratio(r.sides[one].ordersPerSecond / r.sides[distinct].ordersPerSecond),
        fixed(r.sides[oneStream].ordersPerSecond),
        ratio(r.sides[oneStream].ordersPerSecond / r.sides[distinct].ordersPerSecond),
        fixed(r.sides[one].attemptsPerOrder, 2),
        fixed(r.sides[distinct].attemptsPerOrder, 2),
        notPlaced(r),
        whole(r.sides[one].latency.p50),
        whole(r.sides[distinct].latency.p50),
        whole(r.sides[one].latency.p95),
        whole(r.sides[distinct].latency.p95),
      ]),
      ['left'],
    ),
    '',
    ...(last
      ? [
          `Goal (issue 9): one product at concurrency ${last.concurrency} ≥ 0.5× distinct products. ` +
            `Measured: ${ratio(last.sides[one].ordersPerSecond / last.sides[distinct].ordersPerSecond)} ` +
            `(${last.sides[one].ordersPerSecond / last.sides[distinct].ordersPerSecond >= 0.5 ? 'met' : 'NOT met'}; ` +
            `one bucket: ${ratio(last.sides[oneStream].ordersPerSecond / last.sides[distinct].ordersPerSecond)}).`,
          '',
        ]
      : []),
    ...(first && last && first !== last
      ? [
          `One product, concurrency ${first.concurrency} → ${last.concurrency}: ` +
            `${fixed(first.sides[one].ordersPerSecond)} → ${fixed(last.sides[one].ordersPerSecond)} orders/s ` +
            `(${ratio(last.sides[one].ordersPerSecond / first.sides[one].ordersPerSecond)}).`,
          '',
        ]
      : []),
    ...(failures.length > 0 ? ['Orders not placed:', '', ...failures] : ['Every order was placed.']),
    '',
  ];
}

function snapshotSection(result: SnapshotLoadResult): string[] {
  const { versioned, raw } = result.loads;
  const row = (label: string, loads: SnapshotLoadResult['loads']['raw']) => [
    label,
    loads.whole.count,
    whole(loads.whole.p50),
    whole(loads.whole.max),
    whole(loads.fromSnapshot.p50),
    whole(loads.fromSnapshot.max),
    ratio(loads.whole.p50 / loads.fromSnapshot.p50),
  ];
  const tail = result.events - result.snapshotAt;
  return [
    `## (e) Snapshots: loading a ${whole(result.events)}-event product stream`,
    '',
    `\`loadAggregate\`, as \`runCommand\` calls it, on one product stream (a ProductAdded, then ProductRestocked events; ` +
      `written with raw batches in ${fixed(result.writeMs / 1000)} s): whole, without a snapshot store, or from a snapshot ` +
      `at version ${whole(result.snapshotAt)} plus the ${tail}-event tail. Through the store as the API wires it ` +
      '(VersionedEventStore: every event read is validated and upcast) and through the bare Firestore adapter. ' +
      'The kinds take turns; the first load of each is thrown away.',
    '',
    markdownTable(
      [
        'event store',
        'loads',
        'whole p50 (ms)',
        'whole max (ms)',
        'snapshot + tail p50 (ms)',
        'snapshot + tail max (ms)',
        'whole / snapshot',
      ],
      [row('as the API reads (VersionedEventStore)', versioned), row('bare FirestoreEventStore', raw)],
    ),
    '',
    `Reference: a ${tail}-event product stream read whole (as the API reads), p50 ${whole(result.shortStream.p50)} ms; ` +
      `snapshot + tail / that: ${ratio(versioned.fromSnapshot.p50 / result.shortStream.p50)} (the rest is the snapshot read ` +
      'and the tail query on a long stream, which the emulator appears to pay for by the length of the stream).',
    '',
    `Validating and upcasting the whole stream, versioned / bare p50: ${ratio(versioned.whole.p50 / raw.whole.p50)}. ` +
      `Every load ended in the same state at version ${whole(result.events)}: ${result.sameState ? 'yes' : 'NO'}.`,
    '',
  ];
}

/** Verification may cost an order at most this much (issue 8). */
const AUTH_COST_GOAL = 1.1;

function authCostSection(result: AuthCostResult): string[] {
  const [verified, fixedPrincipal] = AUTH_SIDES;
  const { latency } = result;
  const p50Ratio = latency[verified].p50 / latency[fixedPrincipal].p50;
  const p99Ratio = latency[verified].p99 / latency[fixedPrincipal].p99;
  const row = (label: string, s: AuthCostResult['verifyAlone']) => [label, s.count, fixed(s.p50), fixed(s.p95), fixed(s.p99), fixed(s.max)];
  return [
    '## (g) Authentication: placeOrder with the token verified, against a fixed principal',
    '',
    `${result.plan.orders} orders per side (after ${result.plan.warmup} thrown away), one at a time, POSTed over HTTP to two ` +
      "APIs built as `src/main.ts` builds one, over the same Firestore project, with the same signed-in customer's " +
      'Auth-emulator ID token, for two products already in the catalog (every order appends to their streams). ' +
      'One verifies the token (`FirebaseTokenVerifier`); the baseline trusts a fixed principal (the one that token ' +
      'verifies to) without verifying anything. The sides alternate in ABBA pairs.',
    '',
    markdownTable(
      ['path', 'samples', 'p50 (ms)', 'p95 (ms)', 'p99 (ms)', 'max (ms)'],
      [
        row(`placeOrder, ${verified}`, latency[verified]),
        row(`placeOrder, ${fixedPrincipal} (baseline)`, latency[fixedPrincipal]),
        row('`verify(token)` alone, once per pair', result.verifyAlone),
      ],
    ),
    '',
    `Verified / fixed principal: p50 ${ratio(p50Ratio)}, p99 ${ratio(p99Ratio)} (goal ≤ ${ratio(AUTH_COST_GOAL)}: ` +
      `${p50Ratio <= AUTH_COST_GOAL ? 'met' : 'NOT met'} at p50, ${p99Ratio <= AUTH_COST_GOAL ? 'met' : 'not met'} at p99). ` +
      `Per pair, verified minus fixed, p50: ${fixed(result.pairedDifferenceP50)} ms.`,
    '',
    'In emulator mode firebase-admin checks revocation on every `verifyIdToken`, a round trip to the Auth emulator, ' +
      'which production does not make for customer tokens (there verification is a signature check against cached ' +
      'public keys; only staff tokens and WebSocket connections are checked for revocation): this ratio is an upper ' +
      "bound of a customer order's cost in production.",
    '',
  ];
}

/** Tracing may cost an order at most this much (issue 11). */
const TRACING_GOAL = 1.1;

function tracingSection(result: TracingOverheadResult): string[] {
  const [on, off] = TRACING_SIDES;
  const placeOrderP50 = result.placeOrder[on].p50 / result.placeOrder[off].p50;
  const endToEndP99 = result.endToEnd[on].p99 / result.endToEnd[off].p99;
  const row = (label: string, s: TracingOverheadResult['placeOrder'][typeof on]) => [
    label,
    s.count,
    fixed(s.p50),
    fixed(s.p95),
    fixed(s.p99),
    fixed(s.max),
  ];
  return [
    '## (j) Tracing: placeOrder and end to end with tracing on (sampling as shipped) against off',
    '',
    `${result.plan.orders} orders per side (after ${result.plan.warmup} per side thrown away), one at a time, each for its own ` +
      'customer, through one in-process pipeline (API, relay, projector functions) as in (c). The OpenTelemetry SDK is ' +
      `registered as the API registers it, with the shipped parent-based sampler (new traces recorded: ${result.sampleRatio}, ` +
      'the local default and the worst case; 0.1 on Google Cloud) into the in-memory buffer; "off" switches the sampler to ' +
      `record nothing. ABBA blocks. ${fixed(result.spansPerOrder)} spans recorded per traced order.`,
    '',
    markdownTable(
      ['path', 'samples', 'p50 (ms)', 'p95 (ms)', 'p99 (ms)', 'max (ms)'],
      [
        row(`placeOrder, ${on}`, result.placeOrder[on]),
        row(`placeOrder, ${off} (baseline)`, result.placeOrder[off]),
        row(`end to end, ${on}`, result.endToEnd[on]),
        row(`end to end, ${off} (baseline)`, result.endToEnd[off]),
      ],
    ),
    '',
    `On / off: placeOrder p50 ${ratio(placeOrderP50)}, end-to-end p99 ${ratio(endToEndP99)} (goal ≤ ${ratio(TRACING_GOAL)}: ` +
      `${placeOrderP50 <= TRACING_GOAL ? 'met' : 'NOT met'} at placeOrder p50, ${endToEndP99 <= TRACING_GOAL ? 'met' : 'NOT met'} at end-to-end p99).`,
    '',
  ];
}

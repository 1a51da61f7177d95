/**
 * Liveness and readiness. `/healthz`: the process answers (nothing else: restarting an instance fixes none of
 * its dependencies). `/readyz`: each readiness check passes (Firestore and Pub/Sub reachable, the outbox relay
 * running, no read model stalled); `?exclude=<check>` leaves checks out, as Kubernetes' /readyz does, so a
 * startup probe need not wait for the projectors (a stalled projector must not stop new API instances from
 * starting). The answer is JSON: `{ ready, checks: { name: { ok, detail?, error? } } }`, 200 or 503.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProjectionHealth } from '../core/projectionHealth.ts';
import { eventloomMetrics } from './metrics.ts';

/** Readiness without the read models' check, as a plain path (see handleHealth). */
export const STARTUP_PATH = '/startupz';
const PROJECTIONS_CHECK = 'projections';

export interface CheckResult {
  readonly ok: boolean;
  readonly detail?: unknown;
}

export interface ReadinessCheck {
  readonly name: string;
  run(): Promise<CheckResult>;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, CheckResult & { readonly error?: string }>>;
}

/** A check that does not answer within this is failed: a probe must not hang on a dependency. */
const CHECK_TIMEOUT_MS = 5_000;

export class Readiness {
  /** Checks still running, a timed-out one included: shutdown waits for them before closing the clients. */
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly checks: readonly ReadinessCheck[],
    private readonly timeoutMs = CHECK_TIMEOUT_MS,
  ) {}

  async report(exclude: ReadonlySet<string> = new Set()): Promise<ReadinessReport> {
    const included = this.checks.filter((check) => !exclude.has(check.name));
    const results = await Promise.all(included.map((check) => this.run(check)));
    return {
      ready: results.every((result) => result.ok),
      checks: Object.fromEntries(included.map((check, i) => [check.name, results[i]!])),
    };
  }

  /** Resolves once no check is running (each settles on its own; a client's own timeouts bound them). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private async run(check: ReadinessCheck): Promise<CheckResult & { error?: string }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    const running = check.run();
    this.running.add(running);
    running.then(
      () => this.running.delete(running),
      () => this.running.delete(running),
    );
    try {
      return await Promise.race([running, timeout]);
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A check of a dependency that is up when `probe` resolves. */
export function reachable(name: string, probe: () => Promise<unknown>): ReadinessCheck {
  return {
    name,
    async run() {
      await probe();
      return { ok: true };
    },
  };
}

/**
 * The read models' health (src/core/projectionHealth.ts) as a readiness check: not ready while any is
 * stalled. Each reading also records the projection gauges (lag, pending events, stalled, rebuild progress).
 * Readings are reused for `cacheMs`, since one costs a few queries per read model and probes come often.
 */
export function projectionsCheck(
  read: () => Promise<ProjectionHealth[]>,
  options: { readonly cacheMs?: number } = {},
): ReadinessCheck & {
  /** Reads now (ignoring the cache), recording the gauges: for a periodic refresh. */
  refresh(): Promise<ProjectionHealth[]>;
} {
  const cacheMs = options.cacheMs ?? 5_000;
  let last: { at: number; reading: Promise<ProjectionHealth[]> } | undefined;
  const refresh = () => {
    const reading = read().then((healths) => {
      record(healths);
      return healths;
    });
    last = { at: performance.now(), reading };
    // A failed reading is not reused.
    reading.catch(() => {
      if (last?.reading === reading) last = undefined;
    });
    return reading;
  };
  return {
    name: PROJECTIONS_CHECK,
    refresh,
    async run() {
      const healths = await (last && performance.now() - last.at < cacheMs ? last.reading : refresh());
      const stalled = healths.filter((health) => health.stalled).map((health) => health.name);
      return {
        ok: stalled.length === 0,
        detail: {
          stalled,
          readModels: Object.fromEntries(healths.map((h) => [h.name, { lagSeconds: h.lagSeconds, pendingEvents: h.pendingEvents }])),
        },
      };
    },
  };
}

function record(healths: readonly ProjectionHealth[]): void {
  const metrics = eventloomMetrics();
  for (const health of healths) {
    const attributes = { read_model: health.name };
    metrics.projectionLagSeconds.record(health.lagSeconds, attributes);
    metrics.projectionLagEvents.record(health.pendingEvents, attributes);
    metrics.projectionStalled.record(health.stalled ? 1 : 0, attributes);
    if (health.rebuilding) metrics.rebuildProgress.record(health.rebuilding.processed, { ...attributes, target: health.rebuilding.target });
  }
}

/**
 * Answers `/healthz`, `/readyz` and `/startupz` (GET or HEAD) and returns true; returns false for any other path,
 * for the caller to handle. `/startupz` is `/readyz?exclude=projections` as a plain path, for probes whose path
 * cannot be trusted to carry a query string (Cloud Run's startup probe): what a new instance needs before it takes
 * traffic, without the read models, since a stalled projector must not keep API instances from starting.
 */
export function handleHealth(readiness: Readiness, request: IncomingMessage, response: ServerResponse): boolean {
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (url.pathname !== '/healthz' && url.pathname !== '/readyz' && url.pathname !== STARTUP_PATH) return false;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end();
    return true;
  }
  // Never cached: a probe must see the state now.
  const headers = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (url.pathname === '/healthz') {
    response.writeHead(200, headers).end(JSON.stringify({ alive: true }));
    return true;
  }
  const exclude = new Set(url.searchParams.getAll('exclude').flatMap((value) => value.split(',')));
  if (url.pathname === STARTUP_PATH) exclude.add(PROJECTIONS_CHECK);
  readiness.report(exclude).then(
    (report) => response.writeHead(report.ready ? 200 : 503, headers).end(JSON.stringify(report)),
    (error: unknown) => response.writeHead(503, headers).end(JSON.stringify({ ready: false, error: String(error) })),
  );
  return true;
}

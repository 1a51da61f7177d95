/**
 * Which outbox partitions this relay may publish: leases in Firestore, shared fairly among the live relays.
 *
 * `relayLeases/{partition}` says who holds a partition and until when; `relayMembers/{owner}` says a relay is
 * alive. Every heartbeat a relay renews its membership and its leases, counts the live members, and moves
 * towards its fair share (the partition count divided by the live relays, rounded up): it gives back what it
 * holds beyond that share and claims free or expired leases up to it. A relay killed without warning stops
 * renewing, so its leases and its membership expire together and the others take its partitions within one
 * lease plus one heartbeat. One that stops cleanly hands its partitions back at once.
 *
 * Every claim, renewal and release is a write conditioned on the lease document's update time (or a create()
 * when it does not exist yet): two relays racing for one partition cannot both win, and no read-write
 * transaction (with its lock waits) is needed. The lease documents take about one write per heartbeat each,
 * far below Firestore's one write per second per document.
 *
 * Expiry compares wall clocks across instances (Cloud Run keeps them synchronised to milliseconds); a relay
 * stops publishing a partition `safetyMarginMs` before its own lease runs out, so a slow renewal never lets two
 * relays publish one partition at once.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { DocumentSnapshot, Firestore, Timestamp } from '@google-cloud/firestore';
import { streamPartitions } from '../firestore/partitionLayout.ts';
import type { Logger } from '../logger.ts';

export const RELAY_LEASES = 'relayLeases';
export const RELAY_MEMBERS = 'relayMembers';

/** gRPC codes of a lost race: the lease document changed (FAILED_PRECONDITION) or appeared (ALREADY_EXISTS). */
const LOST_RACE = new Set([6, 9]);

export interface PartitionLeaseTimings {
  /** How long a claim lasts without renewal: the longest a killed relay's partitions wait. Default 12 s. */
  readonly leaseMs?: number;
  /** How often a relay renews, counts the live relays and rebalances. Default a third of `leaseMs`. */
  readonly heartbeatMs?: number;
}

export interface PartitionLeasesOptions extends PartitionLeaseTimings {
  readonly db: Firestore;
  readonly logger: Logger;
  /** This relay's name in the lease documents. Default: host, process id and a random suffix (operators can tell who holds what). */
  readonly owner?: string;
  /** Called once a partition is this relay's: start publishing it. */
  readonly onAcquired: (partition: number) => void;
  /** Called before a partition is given back (or once it was lost): stop publishing it; resolve when stopped. */
  readonly onReleasing: (partition: number) => Promise<void>;
}

interface Lease {
  readonly owner: string | null;
  readonly expiresAt: number;
}

export class PartitionLeases {
  readonly owner: string;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  /** Each held partition and when its lease, as last written, runs out (epoch ms). */
  private readonly held = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = true;

  constructor(private readonly options: PartitionLeasesOptions) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.leaseMs = options.leaseMs ?? 12_000;
    this.heartbeatMs = options.heartbeatMs ?? Math.round(this.leaseMs / 3);
  }

  /** Publishing stops this long before the lease would run out, if renewals keep failing. */
  private get safetyMarginMs(): number {
    return Math.min(this.heartbeatMs, this.leaseMs / 4);
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Whether this relay may publish the partition now. */
  holds(partition: number): boolean {
    const expiresAt = this.held.get(partition);
    return expiresAt !== undefined && expiresAt - this.safetyMarginMs > Date.now();
  }

  /** The partitions held now, in order. */
  partitions(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  /** Stops heartbeating, stops publishing, and hands every partition back so the other relays take them at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
    const held = this.partitions();
    const leases = await this.readLeases(held);
    await Promise.all(held.map((partition, i) => this.release(partition, leases[i]!)));
    await this.members()
      .doc(this.owner)
      .delete()
      .catch((error: unknown) => this.options.logger.warn({ err: error }, 'relay membership not removed; it expires by itself'));
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.ticking = this.heartbeat()
        .catch((error: unknown) => this.options.logger.error({ err: error }, 'relay lease heartbeat failed; retrying'))
        .finally(() => {
          this.ticking = null;
          this.schedule(this.heartbeatMs);
        });
    }, delayMs);
    // The heartbeat alone does not keep a process alive; the API's server does.
    this.timer.unref();
  }

  /** One round: announce, renew, give back the excess, claim up to the fair share. */
  private async heartbeat(): Promise<void> {
    const now = Date.now();
    await this.members()
      .doc(this.owner)
      .set({ owner: this.owner, expiresAt: now + this.leaseMs });
    // Read every heartbeat: a growth of the stream partitions (announced ahead) brings more leases to share.
    const partitions = (await streamPartitions(this.options.db)).all();
    const [members, leases] = await Promise.all([this.members().get(), this.readLeases(partitions)]);
    const live = members.docs.filter((m) => (m.get('expiresAt') as number) > now);
    const share = Math.ceil(partitions.length / Math.max(1, live.length));

    // Renew what is still ours; whatever another relay took in the meantime is lost (we were too slow).
    await Promise.all(
      this.partitions().map(async (partition) => {
        const snapshot = leases[partition]!;
        const expiresAt = Date.now() + this.leaseMs;
        const renewed = leaseOf(snapshot).owner === this.owner && (await this.write(snapshot, { owner: this.owner, expiresAt }));
        if (renewed) this.held.set(partition, expiresAt);
        else await this.lose(partition);
      }),
    );

    // Above the fair share (another relay joined): give back the highest partitions.
    for (const partition of this.partitions().slice(share)) await this.release(partition, await this.readLease(partition));

    // Below it: claim free or expired leases, in a random order so that relays starting together spread out.
    const free = shuffle(
      partitions.filter((p) => {
        const lease = leaseOf(leases[p]!);
        return !this.held.has(p) && (lease.owner === null || lease.expiresAt <= now);
      }),
    );
    await Promise.all(
      free.slice(0, Math.max(0, share - this.held.size)).map(async (partition) => {
        // Each lease runs from its own write: a slow round must not hand out leases that are already short.
        const expiresAt = Date.now() + this.leaseMs;
        if (this.stopped || !(await this.write(leases[partition]!, { owner: this.owner, expiresAt }))) return;
        this.held.set(partition, expiresAt);
        this.options.logger.info({ partition, owner: this.owner, share, relays: live.length }, 'outbox partition claimed');
        this.options.onAcquired(partition);
      }),
    );

    // Members that stopped heartbeating long ago: tidy them away (a TTL policy would too, later).
    const dead = members.docs.filter((m) => (m.get('expiresAt') as number) < now - this.leaseMs);
    await Promise.all(dead.map((m) => m.ref.delete({ lastUpdateTime: m.updateTime }).catch(() => {})));
  }

  private async lose(partition: number): Promise<void> {
    this.held.delete(partition);
    this.options.logger.warn({ partition, owner: this.owner }, 'outbox partition lease lost to another relay');
    await this.options.onReleasing(partition);
  }

  /** Stops publishing the partition, then frees its lease if it is still ours. */
  private async release(partition: number, snapshot: DocumentSnapshot): Promise<void> {
    await this.options.onReleasing(partition);
    this.held.delete(partition);
    if (leaseOf(snapshot).owner === this.owner) await this.write(snapshot, { owner: null, expiresAt: 0 });
    this.options.logger.info({ partition, owner: this.owner }, 'outbox partition released');
  }

  /** Writes the lease if nobody changed it since `snapshot` was read; false when another relay did. */
  private async write(snapshot: DocumentSnapshot, lease: Lease): Promise<boolean> {
    try {
      if (snapshot.exists) await snapshot.ref.update({ ...lease }, { lastUpdateTime: snapshot.updateTime as Timestamp });
      else await snapshot.ref.create({ ...lease });
      return true;
    } catch (error) {
      if (LOST_RACE.has((error as { code?: number }).code ?? -1)) return false;
      throw error;
    }
  }

  private readLease(partition: number): Promise<DocumentSnapshot> {
    return this.options.db.collection(RELAY_LEASES).doc(String(partition)).get();
  }

  private async readLeases(partitions: readonly number[]): Promise<DocumentSnapshot[]> {
    const refs = partitions.map((p) => this.options.db.collection(RELAY_LEASES).doc(String(p)));
    return this.options.db.getAll(...refs);
  }

  private members() {
    return this.options.db.collection(RELAY_MEMBERS);
  }
}

function leaseOf(snapshot: DocumentSnapshot): Lease {
  if (!snapshot.exists) return { owner: null, expiresAt: 0 };
  return { owner: (snapshot.get('owner') as string | null) ?? null, expiresAt: (snapshot.get('expiresAt') as number) ?? 0 };
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

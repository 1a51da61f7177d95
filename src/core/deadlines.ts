/**
 * Durable deadlines: a workflow waiting for something to happen by a given time keeps a deadline here;
 * a sweep, triggered every minute (Cloud Scheduler in production, a timer in `npm run dev`, the test itself
 * in tests), finds the due ones and hands each back to its workflow.
 *
 * A deadline is fired at least once: it stays until its workflow no longer waits (the workflow removes it
 * when it closes), so a sweep that crashes between "due" and "done" leaves it for the next sweep. It is
 * acted on at most once: the workflow records its decision in its stream with optimistic concurrency and
 * decides nothing the second time.
 */
export interface Deadline {
  /** One deadline per workflow instance: its stream id. */
  readonly id: string;
  /** Which workflow it belongs to (the sweep routes by it). */
  readonly workflow: string;
  /** The workflow's own key (an order id), handed back when it fires. */
  readonly key: string;
  /** ISO 8601. */
  readonly dueAt: string;
}

export interface DeadlineStore {
  /** Creates or moves the deadline; setting it again to the same time changes nothing. */
  set(deadline: Deadline): Promise<void>;
  /** Removes it; removing one that is gone is fine. */
  remove(id: string): Promise<void>;
  /** The deadlines due at `now`, earliest first, at most `limit`. */
  due(now: Date, limit: number): Promise<Deadline[]>;
  /** The deadlines of one workflow in due order (what the dashboard lists), at most `limit`. */
  pending(workflow: string, limit: number): Promise<Deadline[]>;
}

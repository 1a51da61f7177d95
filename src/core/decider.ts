import type { DomainEvent } from './eventStore.ts';
import type { Evolution } from './snapshots.ts';

/**
 * An aggregate's behaviour as three pure functions (Emmett's decider). `decide` throws a DomainError
 * when a business rule rejects the command; time and ids arrive inside the command, so neither
 * function does I/O. A decider is also what loading its stream needs (`evolve`, `initialState` and,
 * for long streams, a snapshot policy), so each aggregate exposes this one value.
 */
export interface Decider<Command, Event extends DomainEvent, State> extends Evolution<State, Event> {
  decide(command: Command, state: State): Event[];
}

/** Compile-time proof that a switch handled every case. */
export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}

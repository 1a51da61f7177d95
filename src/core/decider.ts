import type { DomainEvent } from './eventStore.ts';

/**
 * An aggregate's behaviour as three pure functions (Emmett's decider). `decide` throws a DomainError
 * when a business rule rejects the command; time and ids arrive inside the command, so neither
 * function does I/O.
 */
export interface Decider<Command, Event extends DomainEvent, State> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

/** Compile-time proof that a switch handled every case. */
export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}

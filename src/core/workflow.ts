/**
 * A workflow (process manager) as three pure functions, in Emmett's shape: it reacts to input messages
 * (events of other streams, deadlines that passed, outcomes of commands it sent), decides what to record
 * and what to ask for, and folds what it recorded into its state. Its stream holds every decision it took,
 * each event's causation id naming the input that led to it, so the audit trail answers "why was this
 * order cancelled?".
 *
 * Commands are not recorded: a workflow asks for one again whenever an input finds it still waiting for the
 * outcome (a deadline sweep fires again, a delivery is retried), and the command runs with an idempotency
 * key, so a crash between the decision and the command loses nothing and acts once.
 */
import type { DomainEvent } from './eventStore.ts';
import type { Evolution } from './snapshots.ts';

export type WorkflowOutput<Event extends DomainEvent, Command> =
  | { readonly kind: 'Event'; readonly event: Event }
  | { readonly kind: 'Command'; readonly command: Command };

export interface Workflow<Input, State, Event extends DomainEvent, Command> extends Evolution<State, Event> {
  decide(input: Input, state: State): Array<WorkflowOutput<Event, Command>>;
}

export const recordEvent = <Event extends DomainEvent>(event: Event) => ({ kind: 'Event', event }) as const;
export const sendCommand = <Command>(command: Command) => ({ kind: 'Command', command }) as const;

/** Decider specifications that read as given / when / then (Emmett's DeciderSpecification). */
import { expect } from 'vitest';
import type { Decision, StreamLoader } from '../../src/core/commandHandler.ts';
import type { Decider } from '../../src/core/decider.ts';
import type { DomainEvent } from '../../src/core/eventStore.ts';

type ErrorClass = abstract new (...args: never[]) => Error;

function expectThrown(thrown: unknown, errorType: ErrorClass, code?: string) {
  expect(thrown).toBeInstanceOf(errorType);
  if (code) expect(thrown).toHaveProperty('code', code);
}

/** One aggregate: given its events, when a command, then the new events or a typed error. */
export function deciderSpec<Command, Event extends DomainEvent, State>(decider: Decider<Command, Event, State>) {
  return {
    given: (events: Event[]) => ({
      when: (command: Command) => {
        const run = () => decider.decide(command, events.reduce(decider.evolve, decider.initialState()));
        return {
          then: (expected: Event[]) => expect(run()).toEqual(expected),
          thenThrows: (errorType: ErrorClass, code?: string) => {
            let thrown: unknown;
            try {
              run();
            } catch (error) {
              thrown = error;
            }
            expectThrown(thrown, errorType, code);
          },
        };
      },
    }),
  };
}

/**
 * A command over several streams, decided as `runCommand` decides it (`decideOnOrder`, `decideOnStream`
 * with its decider and stream): given the events of each stream, when the command, then the new events
 * per stream (streams without new events left out) or a typed error.
 */
export function commandSpec<Command, Result>(decideOn: (command: Command) => (load: StreamLoader) => Promise<Decision<Result>>) {
  return {
    given: (streams: Record<string, DomainEvent[]>) => ({
      when: (command: Command) => {
        const load: StreamLoader = {
          async aggregate(streamId, decider) {
            const events = streams[streamId] ?? [];
            return { state: events.reduce((s, e) => decider.evolve(s, e as never), decider.initialState()), version: events.length };
          },
        };
        const run = async () => {
          const { appends, result } = await decideOn(command)(load);
          const events = Object.fromEntries(appends.filter((a) => a.events.length > 0).map((a) => [a.streamId, a.events]));
          return { events, result };
        };
        return {
          then: async (expected: Record<string, DomainEvent[]>, expectedResult?: Partial<Result>) => {
            const { events, result } = await run();
            expect(events).toEqual(expected);
            if (expectedResult) expect(result).toMatchObject(expectedResult);
          },
          thenThrows: async (errorType: ErrorClass, code?: string) => {
            const thrown = await run().then(
              () => undefined,
              (error: unknown) => error,
            );
            expectThrown(thrown, errorType, code);
          },
        };
      },
    }),
  };
}

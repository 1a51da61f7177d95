/** Decider specifications that read as given / when / then (Emmett's DeciderSpecification). */
import { expect } from 'vitest';
import type { Decider } from '../../src/core/decider.ts';
import type { DomainEvent } from '../../src/core/eventStore.ts';

export function deciderSpec<Command, Event extends DomainEvent, State>(decider: Decider<Command, Event, State>) {
  return {
    given: (events: Event[]) => ({
      when: (command: Command) => {
        const run = () => decider.decide(command, events.reduce(decider.evolve, decider.initialState()));
        return {
          then: (expected: Event[]) => expect(run()).toEqual(expected),
          thenThrows: (errorType: abstract new (...args: never[]) => Error, code?: string) => {
            let thrown: unknown;
            try {
              run();
            } catch (error) {
              thrown = error;
            }
            expect(thrown).toBeInstanceOf(errorType);
            if (code) expect(thrown).toHaveProperty('code', code);
          },
        };
      },
    }),
  };
}

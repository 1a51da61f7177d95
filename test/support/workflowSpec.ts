/** Workflow specifications that read as given / when / then, like the deciders' (deciderSpec.ts). */
import { expect } from 'vitest';
import type { DomainEvent } from '../../src/core/eventStore.ts';
import type { Workflow, WorkflowOutput } from '../../src/core/workflow.ts';

/** Given the events the workflow recorded, when an input arrives, then what it records and asks for. */
export function workflowSpec<Input, State, Event extends DomainEvent, Command>(workflow: Workflow<Input, State, Event, Command>) {
  return {
    given: (recorded: Event[]) => ({
      when: (input: Input) => ({
        then: (expected: Array<WorkflowOutput<Event, Command>>) =>
          expect(workflow.decide(input, recorded.reduce(workflow.evolve, workflow.initialState()))).toEqual(expected),
      }),
    }),
  };
}

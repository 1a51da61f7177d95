/**
 * Registers the Cloud Functions: one projector per read model and the payment workflow, each deployed on its
 * own with its own push subscription; the payment deadlines' and the roll-ups' sweeps (called by Cloud Scheduler); and the
 * dead-letter sink that keeps what the pushed functions gave up on.
 */
import { http } from '@google-cloud/functions-framework';
import { createProjectorHandler } from './projectorHandler.ts';
import { createDeadlineSweepHandler, createPaymentWorkflowHandler } from './paymentWorkflow.ts';
import { DEAD_LETTER_SINK, DEADLINE_SWEEP, projectors, ROLL_UP_SWEEP, workflows } from './projectors.ts';
import { createRollUpSweepHandler } from './rollUpSweep.ts';
import { deadLetterRuntime, projectorRuntime, workflowRuntime } from './runtime.ts';
import { createDeadLetterHandler } from './storeDeadLetter.ts';

export { DEAD_LETTER_SINK, DEADLINE_SWEEP, projectors, ROLL_UP_SWEEP, workflows };

for (const [name, projection] of Object.entries(projectors)) {
  http(name, createProjectorHandler(projection, projectorRuntime));
}

http('runPaymentWorkflow' satisfies keyof typeof workflows, createPaymentWorkflowHandler(workflowRuntime));
http(DEADLINE_SWEEP, createDeadlineSweepHandler(workflowRuntime));
http(ROLL_UP_SWEEP, createRollUpSweepHandler(projectorRuntime));
http(DEAD_LETTER_SINK, createDeadLetterHandler(deadLetterRuntime));

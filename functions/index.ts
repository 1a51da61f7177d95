/**
 * Registers the Cloud Functions: one projector per read model, each deployed on its own with its own
 * push subscription, and the dead-letter sink that keeps what the projectors gave up on.
 */
import { http } from '@google-cloud/functions-framework';
import { createProjectorHandler } from './projectorHandler.ts';
import { DEAD_LETTER_SINK, projectors } from './projectors.ts';
import { deadLetterRuntime, projectorRuntime } from './runtime.ts';
import { createDeadLetterHandler } from './storeDeadLetter.ts';

export { DEAD_LETTER_SINK, projectors };

for (const [name, projection] of Object.entries(projectors)) {
  http(name, createProjectorHandler(projection, projectorRuntime));
}

http(DEAD_LETTER_SINK, createDeadLetterHandler(deadLetterRuntime));

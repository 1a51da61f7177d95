/** Registers the projector functions. Each is deployed as its own Cloud Function with its own push subscription. */
import { http } from '@google-cloud/functions-framework';
import { customerOrderHistoryProjection } from '../src/projections/customerOrderHistory.ts';
import { createProjectorHandler } from './projectorHandler.ts';
import { projectorRuntime } from './runtime.ts';

export const projectors = {
  projectCustomerOrderHistory: customerOrderHistoryProjection,
} as const;

for (const [name, projection] of Object.entries(projectors)) {
  http(name, createProjectorHandler(projection, projectorRuntime));
}

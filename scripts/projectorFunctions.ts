// How `npm run dev` serves the projectors of functions/index.ts the way Cloud Functions does: each in its own
// functions-framework process on its own port, fed by its own Pub/Sub push subscription.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { subscribers } from '../functions/projectors.ts';
import { pushSubscriptionName, type PushSubscriptionSpec } from '../src/pubsub/topology.ts';
import type { Command } from './supervisedProcess.ts';

export interface ProjectorFunction {
  /** The functions-framework target, a key of `projectors` in functions/index.ts. */
  readonly name: string;
  readonly port: number;
  readonly subscription: PushSubscriptionSpec;
  readonly command: Command;
}

// The package exports only its API, not the CLI entry that its `functions-framework` bin points at.
const FUNCTIONS_FRAMEWORK_MAIN = join(dirname(createRequire(import.meta.url).resolve('@google-cloud/functions-framework')), 'main.js');

export function projectorFunction(name: string, port: number): ProjectorFunction {
  return {
    name,
    port,
    subscription: {
      name: pushSubscriptionName(name),
      pushEndpoint: `http://127.0.0.1:${port}/`,
      // The dead-letter sink is served the same way and reads whatever its topic carries.
      ...(subscribers[name] ? { eventTypes: subscribers[name] } : {}),
    },
    // functions-framework import()s an ES module source, and `--import tsx` lets that be the .ts file itself.
    command: [
      process.execPath,
      '--import',
      'tsx',
      FUNCTIONS_FRAMEWORK_MAIN,
      `--target=${name}`,
      '--signature-type=http',
      `--port=${port}`,
      '--source=functions/index.ts',
    ],
  };
}

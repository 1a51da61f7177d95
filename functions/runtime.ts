/**
 * What the functions need, created once per instance on first use (a cold start pays for it once;
 * later invocations reuse the Firestore channel).
 */
import type { Firestore } from '@google-cloud/firestore';
import { loadConfig, type Config } from '../src/config.ts';
import { createFirestore } from '../src/firestore/createFirestore.ts';
import { FirestoreDeadLetters } from '../src/firestore/firestoreDeadLetters.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreProjector } from '../src/firestore/firestoreProjector.ts';
import { createLogger } from '../src/logger.ts';
import { shopEvents } from '../src/shopEvents.ts';
import type { ProjectorRuntime } from './projectorHandler.ts';
import { readModelOfDeadLetterSubscription } from './projectors.ts';
import type { DeadLetterRuntime } from './storeDeadLetter.ts';

let shared: { config: Config; db: Firestore } | null = null;
function instance() {
  if (!shared) {
    const config = loadConfig();
    shared = { config, db: createFirestore(config.projectId) };
  }
  return shared;
}

let projector: ProjectorRuntime | null = null;
export function projectorRuntime(): ProjectorRuntime {
  if (!projector) {
    const { config, db } = instance();
    projector = {
      projector: new FirestoreProjector(db, new FirestoreEventStore(db), shopEvents),
      logger: createLogger({ level: config.logLevel, name: 'projector' }),
    };
  }
  return projector;
}

let deadLetters: DeadLetterRuntime | null = null;
export function deadLetterRuntime(): DeadLetterRuntime {
  if (!deadLetters) {
    const { config, db } = instance();
    deadLetters = {
      deadLetters: new FirestoreDeadLetters(db),
      logger: createLogger({ level: config.logLevel, name: 'dead-letters' }),
      readModelOf: readModelOfDeadLetterSubscription,
    };
  }
  return deadLetters;
}

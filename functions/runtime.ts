/**
 * What every projector function needs, created once per instance on first use (a cold start pays
 * for it once; later invocations reuse the Firestore channel).
 */
import { loadConfig } from '../src/config.ts';
import { createFirestore } from '../src/firestore/createFirestore.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreProjector } from '../src/firestore/firestoreProjector.ts';
import { createLogger } from '../src/logger.ts';
import type { ProjectorRuntime } from './projectorHandler.ts';

let runtime: ProjectorRuntime | null = null;

export function projectorRuntime(): ProjectorRuntime {
  if (!runtime) {
    const config = loadConfig();
    const db = createFirestore(config.projectId);
    runtime = {
      projector: new FirestoreProjector(db, new FirestoreEventStore(db)),
      logger: createLogger({ level: config.logLevel, name: 'projector' }),
    };
  }
  return runtime;
}

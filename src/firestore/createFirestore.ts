import { Firestore } from '@google-cloud/firestore';

/**
 * One place that decides how we talk to Firestore. With FIRESTORE_EMULATOR_HOST set, the client
 * library connects to the emulator on its own; `ignoreUndefinedProperties` lets optional metadata
 * fields be absent rather than fail the write.
 */
export function createFirestore(projectId: string): Firestore {
  return new Firestore({ projectId, ignoreUndefinedProperties: true });
}

// vitest global setup: one Firestore, one Pub/Sub and one Auth emulator for the whole run, on free ports so
// that runs can overlap with `npm run dev` or with each other. Tests find them through the usual environment
// variables (inherited by the forked workers) or through inject('firestoreHost') / inject('pubsubHost') /
// inject('authHost').
//
// To iterate faster, keep `npm run emulators` running and export FIRESTORE_EMULATOR_HOST, PUBSUB_EMULATOR_HOST
// and FIREBASE_AUTH_EMULATOR_HOST: when all three answer, they are used and nothing is started.

// Loads vitest's own types so that the augmentation below augments them rather than declaring a new module.
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { authEmulatorAnswers, emulatorAnswers, startEmulators } from '../scripts/emulatorLauncher.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    firestoreHost: string;
    pubsubHost: string;
    authHost: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.METADATA_SERVER_DETECTION = 'none';
  process.env.GCLOUD_PROJECT = 'demo-eventloom';

  // Tokens of the Auth emulator are issued for this project; the API under test accepts them.
  process.env.AUTH_PROJECT_ID = 'demo-eventloom';

  const givenFirestore = process.env.FIRESTORE_EMULATOR_HOST;
  const givenPubsub = process.env.PUBSUB_EMULATOR_HOST;
  const givenAuth = process.env.FIREBASE_AUTH_EMULATOR_HOST;
  if (givenFirestore && givenPubsub && givenAuth) {
    const answers = await Promise.all([emulatorAnswers(givenFirestore), emulatorAnswers(givenPubsub), authEmulatorAnswers(givenAuth)]);
    if (answers.every(Boolean)) {
      provideHosts(project, givenFirestore, givenPubsub, givenAuth);
      return async () => {};
    }
    console.warn(
      `FIRESTORE_EMULATOR_HOST=${givenFirestore} / PUBSUB_EMULATOR_HOST=${givenPubsub} / FIREBASE_AUTH_EMULATOR_HOST=${givenAuth} ` +
        'do not all answer; starting emulators for this run instead.',
    );
  }

  const emulators = await startEmulators();
  provideHosts(project, emulators.firestoreHost, emulators.pubsubHost, emulators.authHost);
  return () => emulators.stop();
}

function provideHosts(project: TestProject, firestoreHost: string, pubsubHost: string, authHost: string): void {
  process.env.FIRESTORE_EMULATOR_HOST = firestoreHost;
  process.env.PUBSUB_EMULATOR_HOST = pubsubHost;
  process.env.FIREBASE_AUTH_EMULATOR_HOST = authHost;
  project.provide('firestoreHost', firestoreHost);
  project.provide('pubsubHost', pubsubHost);
  project.provide('authHost', authHost);
}

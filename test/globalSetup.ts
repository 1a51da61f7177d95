// vitest global setup: one Firestore and one Pub/Sub emulator for the whole run, on free ports so that runs
// can overlap with `npm run dev` or with each other. Tests find them through the usual environment variables
// (inherited by the forked workers) or through inject('firestoreHost') / inject('pubsubHost').
//
// To iterate faster, keep `npm run emulators` running and export FIRESTORE_EMULATOR_HOST and
// PUBSUB_EMULATOR_HOST: when both answer, they are used and nothing is started.

// Loads vitest's own types so that the augmentation below augments them rather than declaring a new module.
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { emulatorAnswers, startEmulators } from '../scripts/emulatorLauncher.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    firestoreHost: string;
    pubsubHost: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.METADATA_SERVER_DETECTION = 'none';
  process.env.GCLOUD_PROJECT = 'demo-eventloom';

  const givenFirestore = process.env.FIRESTORE_EMULATOR_HOST;
  const givenPubsub = process.env.PUBSUB_EMULATOR_HOST;
  if (givenFirestore && givenPubsub) {
    const [firestoreOk, pubsubOk] = await Promise.all([emulatorAnswers(givenFirestore), emulatorAnswers(givenPubsub)]);
    if (firestoreOk && pubsubOk) {
      provideHosts(project, givenFirestore, givenPubsub);
      return async () => {};
    }
    console.warn(
      `FIRESTORE_EMULATOR_HOST=${givenFirestore} / PUBSUB_EMULATOR_HOST=${givenPubsub} do not both answer; ` +
        'starting emulators for this run instead.',
    );
  }

  const emulators = await startEmulators();
  provideHosts(project, emulators.firestoreHost, emulators.pubsubHost);
  return () => emulators.stop();
}

function provideHosts(project: TestProject, firestoreHost: string, pubsubHost: string): void {
  process.env.FIRESTORE_EMULATOR_HOST = firestoreHost;
  process.env.PUBSUB_EMULATOR_HOST = pubsubHost;
  project.provide('firestoreHost', firestoreHost);
  project.provide('pubsubHost', pubsubHost);
}

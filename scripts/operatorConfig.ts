/**
 * The configuration an operator command (`npm run projections`, `partitions`, `backfill-partitions`) runs with:
 * GOOGLE_CLOUD_PROJECT (or GCLOUD_PROJECT), by default the emulator-only `demo-eventloom`. A demo- project with
 * no emulator host exported talks to the emulators of `npm run dev` (the ports in firebase.json); any other
 * talks to Google Cloud. The clients do not probe the GCE metadata server unless told to.
 */
import { type Config, loadConfig } from '../src/config.ts';
import { firebaseJsonPorts } from './emulatorLauncher.ts';

export function operatorConfig(): Config {
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const projectId = process.env.GOOGLE_CLOUD_PROJECT ?? process.env.GCLOUD_PROJECT ?? 'demo-eventloom';
  if (projectId.startsWith('demo-') && !process.env.FIRESTORE_EMULATOR_HOST) {
    const ports = firebaseJsonPorts();
    process.env.FIRESTORE_EMULATOR_HOST = `127.0.0.1:${ports.firestore}`;
    process.env.PUBSUB_EMULATOR_HOST ??= `127.0.0.1:${ports.pubsub}`;
  }
  return loadConfig({ ...process.env, GOOGLE_CLOUD_PROJECT: projectId });
}

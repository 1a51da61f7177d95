/**
 * What the functions need, created once per instance on first use (a cold start pays for it once;
 * later invocations reuse the Firestore channel).
 */
import type { Firestore } from '@google-cloud/firestore';
import { assertProjectReachable, loadConfig, loadPushAuthConfig, loadTelemetryConfig, type Config } from '../src/config.ts';
import { VersionedEventStore } from '../src/core/versionedEventStore.ts';
import { createFirestore } from '../src/firestore/createFirestore.ts';
import { FirestoreDeadlines } from '../src/firestore/firestoreDeadlines.ts';
import { FirestoreDeadLetters } from '../src/firestore/firestoreDeadLetters.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreProjector } from '../src/firestore/firestoreProjector.ts';
import { createLogger } from '../src/logger.ts';
import { acceptUnauthenticatedPushes, GooglePushAuthenticator, type PushAuthenticator } from '../src/pubsub/pushAuthentication.ts';
import { keyEncryptionKeyFromConfig, personalDataFromConfig } from '../src/privacy/personalDataFromConfig.ts';
import { paymentWorkflow } from '../src/fulfilment/paymentWorkflow.ts';
import { shopEvents } from '../src/shopEvents.ts';
import type { Telemetry } from '../src/telemetry/startTelemetry.ts';
import type { WorkflowRuntime } from './paymentWorkflow.ts';
import type { ProjectorRuntime } from './projectorHandler.ts';
import { readModelOfDeadLetterSubscription } from './projectors.ts';
import type { DeadLetterRuntime } from './storeDeadLetter.ts';

/**
 * OpenTelemetry, as the API has it (src/telemetry/startTelemetry.ts), in a process that serves one function:
 * FUNCTION_TARGET names it (Cloud Run functions set it, `npm run dev` too) and becomes the spans' service name.
 * Started as the module loads, before the first delivery, and before the clients below are created, so their
 * own spans (the Firestore client's) trace into it: on Google Cloud to Cloud Trace and Cloud Monitoring, with
 * OTEL_EXPORTER_OTLP_ENDPOINT over OTLP (`npm run dev` points it at the API's operator port, so one waterfall
 * holds every hop). A process that hosts the functions beside other code (the tests' pipeline, the bench)
 * leaves FUNCTION_TARGET unset and registers its own providers, and then the SDK is not even loaded.
 */
export const telemetry: Telemetry | null = process.env.FUNCTION_TARGET
  ? await (await import('../src/telemetry/startTelemetry.ts')).startTelemetry(loadTelemetryConfig(), {
      serviceName: process.env.FUNCTION_TARGET,
    })
  : null;
if (telemetry) {
  // functions-framework exits on SIGTERM as soon as its own handler has run: flushing is best effort.
  process.once('SIGTERM', () => void telemetry.shutdown());
}

/**
 * Settled when the instance starts, not on the first push: a setting that would leave the push endpoints
 * open (PUSH_AUTH=off outside the emulators) then keeps the instance from starting, so the deploy fails
 * rather than a function quietly accepting every POST.
 */
const pushAuthenticator = startPushAuthentication();
// Likewise a projector without a key-encryption key (production without KMS_KEY_NAME) does not start.
keyEncryptionKeyFromConfig(loadConfig());

function startPushAuthentication(): PushAuthenticator {
  const pushAuth = loadPushAuthConfig();
  if (pushAuth.mode === 'required') return new GooglePushAuthenticator(pushAuth);
  createLogger({ level: loadConfig().logLevel, name: 'push-authentication' }).warn(
    { pushAuth: 'off', why: pushAuth.why },
    'push authentication is off: the push endpoints accept deliveries from anyone',
  );
  return acceptUnauthenticatedPushes;
}

let shared: { config: Config; db: Firestore } | null = null;
function instance() {
  if (!shared) {
    const config = assertProjectReachable(loadConfig());
    shared = { config, db: createFirestore(config.projectId) };
  }
  return shared;
}

let projector: ProjectorRuntime | null = null;
export function projectorRuntime(): ProjectorRuntime {
  if (!projector) {
    const { config, db } = instance();
    projector = {
      projector: new FirestoreProjector(db, new FirestoreEventStore(db), shopEvents, personalDataFromConfig(config, db).protection),
      logger: createLogger({ level: config.logLevel, name: 'projector' }),
      pushAuthenticator,
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
      pushAuthenticator,
    };
  }
  return deadLetters;
}

let workflow: WorkflowRuntime | null = null;
export function workflowRuntime(): WorkflowRuntime {
  if (!workflow) {
    const { config, db } = instance();
    const logger = createLogger({ level: config.logLevel, name: 'payment-workflow' });
    const { protection } = personalDataFromConfig(config, db);
    workflow = {
      openPersonalData: (event) => protection.openEvent(event),
      deps: {
        // As the API's commands see the store: events lifted to their current version, personal data opened and sealed.
        store: new VersionedEventStore(new FirestoreEventStore(db), shopEvents, protection),
        deadlines: new FirestoreDeadlines(db),
        workflow: paymentWorkflow({ paymentWindowMs: config.paymentWindowMs }),
        logger,
      },
      logger,
      pushAuthenticator,
    };
  }
  return workflow;
}

/**
 * Forgets the runtimes built so far, and closes their Firestore client, so the next delivery builds them again
 * from the environment. Cloud Functions never needs it (one project per process); a process that runs the
 * functions against several projects in turn does: the bench starts one pipeline per part, each on a project of
 * its own, and the second one's deliveries must not be applied to the first one's project.
 */
export async function forgetRuntimes(): Promise<void> {
  const db = shared?.db;
  shared = null;
  projector = null;
  deadLetters = null;
  workflow = null;
  await db?.terminate();
}

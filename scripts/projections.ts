/**
 * `npm run projections -- <command>`: operate the read models.
 *
 *   status                         each projection's target, progress, lag, dead letters, running rebuilds
 *   rebuild <readModel>            replay the event store into a new generation, then switch over (resumable)
 *   replay <readModel>             replay into a scratch target and compare it with the live read model
 *   dead-letters list [--read-model R] [--status PENDING|REDRIVEN|SKIPPED]
 *   dead-letters show <id>
 *   dead-letters redrive <id>      republish the original message (after a fix)
 *   dead-letters skip <id>         let the projector pass over the event for good
 *
 * Talks to the emulators of `npm run dev` (firebase.json ports) when no FIRESTORE_EMULATOR_HOST is set
 * and the project is a demo- one; to real Google Cloud otherwise.
 */
import { parseArgs } from 'node:util';
import { PubSub } from '@google-cloud/pubsub';
import { projections } from '../functions/projectors.ts';
import { createFirestore } from '../src/firestore/createFirestore.ts';
import { FirestoreDeadLetterQueue } from '../src/firestore/firestoreDeadLetters.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreProjector } from '../src/firestore/firestoreProjector.ts';
import { rebuildProjection } from '../src/firestore/projectionRebuild.ts';
import { projectionStatuses } from '../src/firestore/firestoreProjectionStatus.ts';
import { personalDataFromConfig } from '../src/privacy/personalDataFromConfig.ts';
import { shopEvents } from '../src/shopEvents.ts';
import { operatorConfig } from './operatorConfig.ts';
import { progressReporter } from './progressReporter.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    'read-model': { type: 'string' },
    status: { type: 'string' },
    actor: { type: 'string', default: process.env.USER ? `cli:${process.env.USER}` : 'cli' },
  },
});

const config = operatorConfig();
const db = createFirestore(config.projectId);
// Rebuilds and replays see what every reader sees: clear text, or `[erased]` for forgotten customers.
const projector = new FirestoreProjector(db, new FirestoreEventStore(db), shopEvents, personalDataFromConfig(config, db).protection);
// The client connects on first use: only a redrive publishes.
const pubsub = new PubSub({ projectId: config.projectId });
const deadLetters = new FirestoreDeadLetterQueue(db, { redriveTopic: pubsub.topic(config.domainEventsTopic), projector, projections });

function projectionNamed(name: string | undefined) {
  const projection = projections.find((p) => p.name === name);
  if (!projection) {
    throw new UsageError(`Unknown read model "${name ?? ''}". Known: ${projections.map((p) => p.name).join(', ')}`);
  }
  return projection;
}

class UsageError extends Error {}

async function run(): Promise<void> {
  const [command, sub, arg] = positionals;
  switch (command) {
    case 'status': {
      const rows = await projectionStatuses(db, projections);
      console.table(
        rows.map((r) => ({
          readModel: r.name,
          version: r.version,
          target: r.activeTarget,
          streams: r.streams,
          lastApplied: r.lastAppliedEventAt ?? '-',
          lagSeconds: Number(r.lagSeconds.toFixed(3)),
          deadLetters: r.pendingDeadLetters,
          rebuilding: r.rebuilding ? `${r.rebuilding.mode} ${r.rebuilding.target} (${r.rebuilding.processed})` : '-',
        })),
      );
      return;
    }
    case 'rebuild':
    case 'replay': {
      const projection = projectionNamed(sub);
      const progress = progressReporter(command);
      try {
        const result = await rebuildProjection({
          db,
          projector,
          projection,
          mode: command,
          onProgress: ({ phase, done, total }) => progress.update(phase, done, total),
        });
        progress.stop();
        console.log(JSON.stringify(result, null, 2));
        if (
          result.comparison &&
          (result.comparison.different.length || result.comparison.onlyLive.length || result.comparison.onlyReplayed.length)
        ) {
          process.exitCode = 2;
        }
      } finally {
        progress.stop();
      }
      return;
    }
    case 'dead-letters':
      return deadLetterCommand(sub, arg);
    default:
      throw new UsageError(
        'Usage: npm run projections -- status | rebuild <readModel> | replay <readModel> | dead-letters list|show|redrive|skip',
      );
  }
}

async function deadLetterCommand(sub: string | undefined, id: string | undefined): Promise<void> {
  switch (sub) {
    case 'list': {
      const page = await deadLetters.list({
        ...(values['read-model'] ? { readModel: values['read-model'] } : {}),
        ...(values.status ? { status: values.status as 'PENDING' } : {}),
        first: 200,
      });
      console.table(
        page.deadLetters.map((d) => ({
          id: d.id,
          readModel: d.readModel,
          status: d.status,
          stream: d.event ? `${d.event.streamId}@${d.event.version}` : '(not an event)',
          type: d.event?.type ?? '-',
          attempts: d.deliveryAttempts,
          deadLetteredAt: d.deadLetteredAt,
        })),
      );
      return;
    }
    case 'show': {
      const deadLetter = await deadLetters.get(required(id));
      if (!deadLetter) throw new UsageError(`No dead letter ${id}`);
      console.log(JSON.stringify(deadLetter, null, 2));
      return;
    }
    case 'redrive':
      console.log(JSON.stringify(await deadLetters.redrive(required(id), values.actor ?? null), null, 2));
      return;
    case 'skip':
      console.log(JSON.stringify(await deadLetters.skip(required(id), values.actor ?? null), null, 2));
      return;
    default:
      throw new UsageError('Usage: npm run projections -- dead-letters list|show <id>|redrive <id>|skip <id>');
  }
}

function required(id: string | undefined): string {
  if (!id) throw new UsageError('Give the dead letter id (see `dead-letters list`).');
  return id;
}

try {
  await run();
} catch (error) {
  console.error(error instanceof UsageError ? error.message : error);
  process.exitCode = 1;
} finally {
  await Promise.allSettled([db.terminate(), pubsub.close()]);
}

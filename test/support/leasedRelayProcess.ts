/**
 * One outbox relay with leases, in a process of its own, until it is killed: for tests that SIGKILL a relay
 * (a crash cannot be had in-process). Configured by environment: GOOGLE_CLOUD_PROJECT, RELAY_TOPIC,
 * RELAY_OWNER, OUTBOX_LEASE_MS, OUTBOX_HEARTBEAT_MS, and the emulator hosts.
 */
import { PubSub } from '@google-cloud/pubsub';
import { createFirestore } from '../../src/firestore/createFirestore.ts';
import { createLogger } from '../../src/logger.ts';
import { OutboxRelay } from '../../src/outbox/outboxRelay.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`leasedRelayProcess: ${name} is not set`);
  return value;
};

const projectId = env('GOOGLE_CLOUD_PROJECT');
const relay = new OutboxRelay({
  db: createFirestore(projectId),
  topic: new PubSub({ projectId }).topic(env('RELAY_TOPIC'), { messageOrdering: true }),
  logger: createLogger({ level: 'silent' }),
  leases: { owner: env('RELAY_OWNER'), leaseMs: Number(env('OUTBOX_LEASE_MS')), heartbeatMs: Number(env('OUTBOX_HEARTBEAT_MS')) },
});
relay.start();
// The relay's timers do not hold the process open; this does, until the test kills it.
setInterval(() => {}, 1 << 30);

/**
 * The outbox relay as `npm run dev` runs it on the emulators: OUTBOX_DISCOVERY from the environment, so polling
 * unless it says `listen` (src/outbox/outboxRelay.ts explains why the emulators poll). The parts that time the
 * write path through the pipeline use it, and say which one they timed.
 */
import { loadConfig } from '../src/config.ts';
import type { OutboxDiscovery } from '../src/outbox/outboxRelay.ts';

export function devRelayDiscovery(): OutboxDiscovery {
  return loadConfig().outboxDiscovery;
}

/** A sentence for the reports: how the relay learned of the events committed. */
export function describeRelayDiscovery(discovery: OutboxDiscovery): string {
  return discovery.mode === 'poll'
    ? `The relay polls every ${discovery.intervalMs} ms, as \`npm run dev\` runs it on the emulators (production listens; ` +
        'OUTBOX_DISCOVERY=listen times listeners here, whose cost on the emulator grows with the events stored).'
    : 'The relay listens, as in production (OUTBOX_DISCOVERY=listen; on the emulators `npm run dev` polls).';
}

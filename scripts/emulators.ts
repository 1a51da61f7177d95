// `npm run emulators [-- --firestore-port N] [--pubsub-port N] [--auth-port N] [--verbose]`
//
// Runs the Firestore, Pub/Sub and Auth emulators until Ctrl-C or SIGTERM, by default on the ports of firebase.json
// (0 picks a free port). When they answer it prints one JSON line to stdout,
// {"firestoreHost":...,"pubsubHost":...,"authHost":...,"via":...}, for scripts to read; everything else goes to stderr.

import { parseArgs } from 'node:util';
import { EmulatorsUnavailableError, firebaseJsonPorts, startEmulators } from './emulatorLauncher.ts';

const { values } = parseArgs({
  options: {
    'firestore-port': { type: 'string' },
    'pubsub-port': { type: 'string' },
    'auth-port': { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});

const configured = firebaseJsonPorts();

// Ctrl-C before they are ready needs no handler: this process dies, and the watchdogs clean up.
const running = await startEmulators({
  firestorePort: portOption('firestore-port', configured.firestore),
  pubsubPort: portOption('pubsub-port', configured.pubsub),
  authPort: portOption('auth-port', configured.auth),
  ...(values.verbose ? { log: (line: string) => console.error(line) } : {}),
}).catch((error: unknown) => {
  console.error(error instanceof EmulatorsUnavailableError ? error.message : error);
  return process.exit(1);
});

// The emulators deliberately do not hold the event loop open (see emulatorLauncher.ts); this process exists
// only to keep them running, so it does that itself.
const keepAlive = setInterval(() => {}, 1 << 30);

async function shutDown(exitCode: number): Promise<void> {
  clearInterval(keepAlive);
  await running.stop();
  process.exit(exitCode);
}
process.once('SIGINT', () => void shutDown(0));
process.once('SIGTERM', () => void shutDown(0));
void running.unexpectedExit.then((error) => {
  console.error(error.message);
  void shutDown(1);
});

console.log(
  JSON.stringify({ firestoreHost: running.firestoreHost, pubsubHost: running.pubsubHost, authHost: running.authHost, via: running.via }),
);
console.error(
  `Emulators ready (via ${running.via}). In another shell:\n` +
    `  export FIRESTORE_EMULATOR_HOST=${running.firestoreHost} PUBSUB_EMULATOR_HOST=${running.pubsubHost} ` +
    `FIREBASE_AUTH_EMULATOR_HOST=${running.authHost}\n` +
    'Ctrl-C stops them.',
);

function portOption(name: 'firestore-port' | 'pubsub-port' | 'auth-port', fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--${name} must be a port number (0 for any free port), got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return port;
}

// The fixed ports `npm run dev` runs on, and the check that they are all free before anything starts, so a
// port in use fails at once with a message that says which one and what to do instead of halfway through.

import { createServer } from 'node:net';

/** The first projector function listens here, the next one on the next free number, and so on. */
export const FIRST_FUNCTION_PORT = 8081;

export interface PortClaim {
  readonly port: number;
  /** Who needs the port, for the error message: "the Firestore emulator". */
  readonly owner: string;
  /** Where to change it, for the error message: "firebase.json". */
  readonly configuredIn: string;
}

class PortsInUseError extends Error {
  override name = 'PortsInUseError';

  constructor(readonly busy: readonly PortClaim[]) {
    const lines = busy.map((claim) => `  ${claim.port}  ${claim.owner} (set in ${claim.configuredIn})`);
    const first = busy[0]?.port;
    super(
      `Cannot start: ${busy.length === 1 ? 'this port is' : 'these ports are'} already in use:\n${lines.join('\n')}\n` +
        'Perhaps an earlier `npm run dev` or `npm run emulators` is still running. ' +
        `Find what listens with \`ss -ltnp 'sport = :${first}'\` (or \`lsof -nP -iTCP:${first} -sTCP:LISTEN\`) and ` +
        'stop it, or move the port where it is set.',
    );
  }
}

/** `count` ports from FIRST_FUNCTION_PORT on, stepping over the ones already taken by `reserved`. */
export function functionPorts(count: number, reserved: readonly number[]): number[] {
  const ports: number[] = [];
  for (let port = FIRST_FUNCTION_PORT; ports.length < count; port++) {
    if (!reserved.includes(port)) ports.push(port);
  }
  return ports;
}

export async function assertPortsFree(claims: readonly PortClaim[]): Promise<void> {
  const free = await Promise.all(claims.map((claim) => isFree(claim.port)));
  const busy = claims.filter((_, i) => !free[i]);
  if (busy.length > 0) throw new PortsInUseError(busy);
}

/**
 * Free on loopback and on the wildcard address: the emulators bind 127.0.0.1, functions-framework and the API
 * bind every interface, and a listener on either address blocks both.
 */
async function isFree(port: number): Promise<boolean> {
  for (const host of ['127.0.0.1', undefined]) {
    if (!(await canListen(port, host))) return false;
  }
  return true;
}

function canListen(port: number, host: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code !== 'EADDRINUSE'));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port no one listens on right now (the OS picks it), for a child process told which port to take. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

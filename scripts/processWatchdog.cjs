'use strict';
// Usage: node processWatchdog.cjs <command> [args...]
//
// Runs <command> in its own process group and makes sure that group (and anything it spawned) dies with us:
// every process the scripts start (the emulators, `npm run dev`'s functions and API) runs under one of these
// (scripts/supervisedProcess.ts). The emulators are JVMs that outlive whoever started them: a Node parent that
// is SIGKILLed, or vitest exiting without running its teardown, would otherwise leave java listening on the
// ports forever. The parent keeps our stdin as a pipe and never writes to it; the kernel closes that pipe
// however the parent dies, and EOF on stdin is our cue to clean up. Plain CommonJS with no dependencies so it
// starts fast and runs under any Node.

const { spawn, execFile } = require('node:child_process');

const GRACE_MS = 3000;
const POLL_MS = 100;
// firebase-tools starts its JVMs with `detached: true`, i.e. in process groups of their own, so killing our
// group alone would miss them once firebase-tools itself is gone. Remember every descendant we have seen.
const DESCENDANT_SCAN_MS = 2000;

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('processWatchdog: no command given\n');
  process.exit(2);
}

// stdout/stderr are inherited: the command writes straight into the pipes our parent reads.
const child = spawn(command, args, { detached: true, stdio: ['ignore', 'inherit', 'inherit'] });
const groupId = child.pid;
const descendants = new Set();
let shuttingDown = false;
let childExit = null;

child.on('error', (err) => {
  process.stderr.write(`processWatchdog: cannot start ${command}: ${err.message}\n`);
  process.exit(127);
});

child.on('exit', (code, signal) => {
  childExit = { code, signal };
  // A wrapper script may exit while the JVM it started keeps running: clean up the rest regardless.
  void shutDown();
});

process.stdin.on('end', () => void shutDown());
process.stdin.on('error', () => void shutDown());
process.stdin.resume();
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => void shutDown());

const scanTimer = setInterval(() => void rememberDescendants(), DESCENDANT_SCAN_MS);
void rememberDescendants();

async function shutDown() {
  if (shuttingDown) return;
  shuttingDown = true;
  clearInterval(scanTimer);
  await rememberDescendants();

  signalAll('SIGTERM');
  const deadline = Date.now() + GRACE_MS;
  while (anyAlive() && Date.now() < deadline) await sleep(POLL_MS);
  if (anyAlive()) {
    signalAll('SIGKILL');
    await sleep(POLL_MS);
  }

  // Let our exit status reflect the command's, so the parent can tell a crash from a requested stop.
  if (childExit === null) process.exit(0);
  if (childExit.signal) process.exit(128 + (signalNumber(childExit.signal) ?? 15));
  process.exit(childExit.code ?? 0);
}

function signalAll(signal) {
  trySignal(-groupId, signal);
  for (const pid of descendants) trySignal(pid, signal);
}

function anyAlive() {
  if (trySignal(-groupId, 0)) return true;
  for (const pid of descendants) {
    if (trySignal(pid, 0)) return true;
    descendants.delete(pid);
  }
  return false;
}

function trySignal(pid, signal) {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

// `ps` rather than /proc so this also works on macOS, where developers run the firebase-tools path.
function rememberDescendants() {
  return new Promise((resolve) => {
    execFile('ps', ['-A', '-o', 'pid=', '-o', 'ppid='], (err, stdout) => {
      if (!err) {
        const childrenOf = new Map();
        for (const line of stdout.split('\n')) {
          const [pid, ppid] = line.trim().split(/\s+/).map(Number);
          if (!pid || ppid === undefined) continue;
          if (!childrenOf.has(ppid)) childrenOf.set(ppid, []);
          childrenOf.get(ppid).push(pid);
        }
        // Forget pids that are gone so a recycled pid is never signalled.
        const alive = new Set([...childrenOf.values()].flat());
        for (const pid of descendants) if (!alive.has(pid)) descendants.delete(pid);
        const queue = [groupId];
        while (queue.length > 0) {
          for (const pid of childrenOf.get(queue.pop()) ?? []) {
            descendants.add(pid);
            queue.push(pid);
          }
        }
      }
      resolve();
    });
  });
}

function signalNumber(name) {
  return require('node:os').constants.signals[name];
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Progress on stderr, so that stdout carries nothing but the results. On a terminal, a cli-progress bar per
 * phase; when stderr is redirected (CI logs, `2> file`), one line when a phase starts, one every
 * REDIRECTED_EVERY_MS while it runs (a phase may take minutes on a loaded machine), and one when it ends, since a
 * redrawn bar would fill the log with carriage returns.
 */
import { SingleBar } from 'cli-progress';

export interface Phase {
  /** Counts `n` more units of work done. */
  tick(n?: number): void;
  end(): void;
}

const interactive = process.stderr.isTTY === true;
const REDIRECTED_EVERY_MS = 15_000;

export function note(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function startPhase(name: string, total: number): Phase {
  const startedAt = performance.now();
  const elapsed = () => `${((performance.now() - startedAt) / 1000).toFixed(1)} s`;
  if (!interactive) {
    note(`▸ ${name} (${total})`);
    let done = 0;
    let lastNoteAt = performance.now();
    return {
      tick: (n = 1) => {
        done += n;
        if (performance.now() - lastNoteAt < REDIRECTED_EVERY_MS) return;
        lastNoteAt = performance.now();
        note(`  ${done}/${total} after ${elapsed()}`);
      },
      end: () => note(`  done in ${elapsed()}`),
    };
  }
  const bar = new SingleBar({
    format: `${name.padEnd(44)} [{bar}] {value}/{total}  {duration_formatted}`,
    stream: process.stderr,
    barsize: 24,
    hideCursor: null,
  });
  bar.start(total, 0);
  let ended = false;
  return {
    tick: (n = 1) => bar.increment(n),
    end: () => {
      if (ended) return;
      ended = true;
      bar.update(total);
      bar.stop();
    },
  };
}

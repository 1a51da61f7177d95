/**
 * Progress for long-running commands, on stderr so stdout keeps only results: a cli-progress bar on a
 * terminal, and otherwise (CI, a log file) one JSON line per ~10% in the shape Cloud Logging reads.
 */
import cliProgress from 'cli-progress';

export interface ProgressReporter {
  update(phase: string, done: number, total: number): void;
  stop(): void;
}

export function progressReporter(component: string): ProgressReporter {
  return process.stderr.isTTY ? barReporter() : jsonReporter(component);
}

function barReporter(): ProgressReporter {
  const bars = new cliProgress.MultiBar(
    { format: '{phase} [{bar}] {value}/{total} {percentage}% | {duration_formatted}', stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  const byPhase = new Map<string, cliProgress.SingleBar>();
  return {
    update(phase, done, total) {
      let bar = byPhase.get(phase);
      if (!bar) {
        bar = bars.create(total, 0, { phase: phase.padEnd(10) });
        byPhase.set(phase, bar);
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop: () => bars.stop(),
  };
}

function jsonReporter(component: string): ProgressReporter {
  const last = new Map<string, number>();
  return {
    update(phase, done, total) {
      const step = Math.max(1, Math.ceil(total / 10));
      if (done < total && done - (last.get(phase) ?? 0) < step) return;
      last.set(phase, done);
      process.stderr.write(`${JSON.stringify({ severity: 'INFO', message: `${component} ${phase} ${done}/${total}`, component, phase, done, total })}\n`);
    },
    stop() {},
  };
}

/**
 * Progress for long-running commands, on stderr so stdout keeps only results: a cli-progress bar on a
 * terminal, and otherwise (CI, a log file) one JSON line per ~10% in the shape Cloud Logging reads.
 */
import cliProgress from 'cli-progress';

/** More to show with a step: a line of text beside the bar, fields in the JSON line. */
export interface ProgressDetails {
  readonly text?: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

export interface ProgressReporter {
  update(phase: string, done: number, total: number, details?: ProgressDetails): void;
  stop(): void;
}

export function progressReporter(component: string): ProgressReporter {
  return process.stderr.isTTY ? barReporter() : jsonReporter(component);
}

function barReporter(): ProgressReporter {
  const bars = new cliProgress.MultiBar(
    {
      format: '{phase} [{bar}] {value}/{total} {percentage}% | {duration_formatted} {details}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const byPhase = new Map<string, cliProgress.SingleBar>();
  return {
    update(phase, done, total, details) {
      let bar = byPhase.get(phase);
      if (!bar) {
        bar = bars.create(total, 0, { phase: phase.padEnd(10), details: '' });
        byPhase.set(phase, bar);
      }
      bar.setTotal(total);
      bar.update(done, { details: details?.text ?? '' });
    },
    stop: () => bars.stop(),
  };
}

function jsonReporter(component: string): ProgressReporter {
  const last = new Map<string, number>();
  return {
    update(phase, done, total, details) {
      const step = Math.max(1, Math.ceil(total / 10));
      if (done < total && done - (last.get(phase) ?? 0) < step) return;
      last.set(phase, done);
      const line = {
        severity: 'INFO',
        message: `${component} ${phase} ${done}/${total}`,
        component,
        phase,
        done,
        total,
        ...details?.fields,
      };
      process.stderr.write(`${JSON.stringify(line)}\n`);
    },
    stop() {},
  };
}

/**
 * A listener source for what has no listener: reads now and every `intervalMs` after the previous read
 * ended, and emits only news (a read equal, as JSON, to the last one emitted is dropped), so an idle
 * system polls without streaming anything.
 */
import type { ListenerSource } from './listenerHub.ts';

export function pollingSource<Snapshot>(read: () => Promise<Snapshot>, intervalMs: number): ListenerSource<Snapshot> {
  return (emit, fail) => {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let last: string | undefined;
    const poll = async () => {
      try {
        const snapshot = await read();
        if (stopped) return;
        const json = JSON.stringify(snapshot);
        if (json !== last) emit(snapshot);
        last = json;
        timer = setTimeout(() => void poll(), intervalMs);
      } catch (error) {
        if (!stopped) fail(error);
      }
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  };
}

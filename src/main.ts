/**
 * The API process (Cloud Run): starts the API from the environment's config and shuts it down cleanly on
 * SIGTERM, which Cloud Run sends before stopping an instance (SIGINT too, for a terminal).
 */
import { assertProjectReachable, loadConfig, loadTelemetryConfig } from './config.ts';
import { startApi } from './startApi.ts';

const starting = startApi(assertProjectReachable(loadConfig()), { telemetry: loadTelemetryConfig() });

// Before startApi resolves: the port opens first, and telemetry starts after the first requests are answered,
// so a signal in between finds requests to finish.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => void starting.then((api) => api.close(signal)).then(() => process.exit(0)));
}

await starting;

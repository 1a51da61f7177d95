/**
 * The API process (Cloud Run): starts the API from the environment's config and shuts it down cleanly on
 * SIGTERM, which Cloud Run sends before stopping an instance (SIGINT too, for a terminal).
 */
import { assertProjectReachable, loadConfig, loadTelemetryConfig } from './config.ts';
import { startApi } from './startApi.ts';

const api = await startApi(assertProjectReachable(loadConfig()), { telemetry: loadTelemetryConfig() });

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => void api.close(signal).then(() => process.exit(0)));
}

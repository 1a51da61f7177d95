/** The only module that reads process.env: everything else receives a validated Config. */
import { z } from 'zod';

const ConfigSchema = z.object({
  GOOGLE_CLOUD_PROJECT: z.string().min(1).default('demo-eventloom'),
  PORT: z.coerce.number().int().positive().default(4000),
  FIRESTORE_EMULATOR_HOST: z.string().optional(),
  PUBSUB_EMULATOR_HOST: z.string().optional(),
  DOMAIN_EVENTS_TOPIC: z.string().min(3).default('eventloom-domain-events'),
  INTEGRATION_EVENTS_TOPIC: z.string().min(3).default('eventloom-integration-events'),
  /** Comma-separated actors (the x-actor header your gateway sets) allowed to run admin operations. */
  ADMIN_ACTORS: z.string().optional(),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  NODE_ENV: z.string().default('development'),
});

export type Config = {
  projectId: string;
  port: number;
  domainEventsTopic: string;
  integrationEventsTopic: string;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  graphiql: boolean;
  /** Who may run admin operations; null means anyone, which only a non-production deployment allows. */
  adminActors: readonly string[] | null;
  emulators: { firestore?: string; pubsub?: string };
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse({ ...env, GOOGLE_CLOUD_PROJECT: env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT });
  if (!parsed.success) {
    throw new Error(`Invalid configuration: ${z.prettifyError(parsed.error)}`);
  }
  const e = parsed.data;
  return {
    projectId: e.GOOGLE_CLOUD_PROJECT,
    port: e.PORT,
    domainEventsTopic: e.DOMAIN_EVENTS_TOPIC,
    integrationEventsTopic: e.INTEGRATION_EVENTS_TOPIC,
    logLevel: e.LOG_LEVEL,
    graphiql: e.NODE_ENV !== 'production',
    adminActors: e.ADMIN_ACTORS
      ? e.ADMIN_ACTORS.split(',').map((a) => a.trim()).filter(Boolean)
      : e.NODE_ENV === 'production'
        ? []
        : null,
    emulators: { firestore: e.FIRESTORE_EMULATOR_HOST, pubsub: e.PUBSUB_EMULATOR_HOST },
  };
}

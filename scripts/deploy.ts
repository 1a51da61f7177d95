/**
 * `npm run deploy -- --project P --region R [--dry-run]`: puts Eventloom on Google Cloud with gcloud
 * (see scripts/deployPlan.ts for what, and why). Safe to run again: what exists already is kept.
 */
import { execSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { DEAD_LETTER_SINK, projectors } from '../functions/projectors.ts';
import { loadConfig } from '../src/config.ts';
import { deployPlan, shellLine } from './deployPlan.ts';

const { values } = parseArgs({
  options: {
    project: { type: 'string' },
    region: { type: 'string', default: 'europe-west1' },
    'firebase-api-key': { type: 'string' },
    'allowed-origins': { type: 'string' },
    'max-instances': { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  },
});
if (!values.project) {
  console.error(
    'Usage: npm run deploy -- --project <gcp-project> [--region europe-west1] [--firebase-api-key KEY] ' +
      '[--allowed-origins https://shop.example.com,https://admin.example.com] [--max-instances 10] [--dry-run]',
  );
  process.exit(1);
}
const config = loadConfig({ ...process.env, GOOGLE_CLOUD_PROJECT: values.project });
const steps = deployPlan({
  project: values.project,
  region: values.region ?? 'europe-west1',
  functions: Object.keys(projectors),
  deadLetterSink: DEAD_LETTER_SINK,
  domainEventsTopic: config.domainEventsTopic,
  integrationEventsTopic: config.integrationEventsTopic,
  ...(values['firebase-api-key'] ? { firebaseApiKey: values['firebase-api-key'] } : {}),
  ...(values['allowed-origins'] ? { allowedOrigins: values['allowed-origins'] } : {}),
  ...(values['max-instances'] ? { maxInstances: Number(values['max-instances']) } : {}),
});

steps.forEach((step, i) => {
  const line = shellLine(step);
  console.error(`[${i + 1}/${steps.length}] ${step.what}`);
  if (values['dry-run']) {
    console.log(line);
    return;
  }
  try {
    // Through a shell: push endpoints are the functions' URLs, looked up with $(gcloud ...) at run time.
    execSync(line, { stdio: 'inherit', shell: '/bin/bash' });
  } catch (error) {
    if (!step.mayAlreadyExist) throw error;
    console.error('  (already there: kept)');
  }
});

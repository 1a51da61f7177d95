import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_SINK, projections, projectors } from '../functions/projectors.ts';
import { deployPlan, shellLine } from '../scripts/deployPlan.ts';

const plan = deployPlan({
  project: 'acme-shop',
  region: 'europe-west1',
  functions: Object.keys(projectors),
  deadLetterSink: DEAD_LETTER_SINK,
  domainEventsTopic: 'eventloom-domain-events',
  integrationEventsTopic: 'eventloom-integration-events',
  firebaseApiKey: 'AIza-test-key',
  allowedOrigins: 'https://shop.example.com,https://admin.example.com',
});
const lines = plan.map((step) => step.command.join(' '));

describe('the deploy plan', () => {
  it('prints every step as a line bash can parse (function URLs are looked up by a quoted command substitution)', () => {
    for (const step of plan) {
      const line = shellLine(step);
      // bash -n parses without running anything.
      expect(() => execFileSync('bash', ['-n', '-c', line], { stdio: 'pipe' }), line).not.toThrow();
    }
    // And the substitution survives quoting whole: the shell, not gcloud, sees $(...).
    const subscription = plan.find((step) => step.command.includes('projector-customer-order-history'))!;
    expect(shellLine(subscription)).toContain(`--push-endpoint "$(gcloud functions describe projectCustomerOrderHistory `);
  });

  it('has one projector function for every read model, and none without one', () => {
    expect(new Set(Object.values(projectors))).toEqual(new Set(projections));
    expect(Object.keys(projectors)).toHaveLength(projections.length);
  });

  it('deploys every projector and the dead-letter sink as authenticated functions on Node 22', () => {
    for (const fn of [...Object.keys(projectors), DEAD_LETTER_SINK]) {
      expect(lines).toContainEqual(
        expect.stringMatching(new RegExp(`^gcloud functions deploy ${fn} --gen2 --runtime nodejs22 .*--no-allow-unauthenticated`)),
      );
    }
  });

  it('feeds each projector through its own push subscription with a dead-letter topic drained by the sink', () => {
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^gcloud pubsub subscriptions create projector-customer-order-history --topic eventloom-domain-events .*--push-auth-service-account eventloom-pusher@acme-shop.*--dead-letter-topic projector-customer-order-history-dead-letter --max-delivery-attempts 5/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^gcloud pubsub subscriptions create projector-customer-order-history-dead-letters --topic projector-customer-order-history-dead-letter --push-endpoint .*storeDeadLetter/,
      ),
    );
  });

  describe('push authentication', () => {
    const PUSHER = 'eventloom-pusher@acme-shop.iam.gserviceaccount.com';
    const flag = (command: readonly string[], name: string) => command[command.indexOf(name) + 1];
    const functionDeploys = plan.filter((step) => step.command.slice(0, 3).join(' ') === 'gcloud functions deploy');
    const pushSubscriptions = plan.filter((step) => step.command.slice(0, 4).join(' ') === 'gcloud pubsub subscriptions create');

    it('has every function accept only the push service account, for its own URL', () => {
      expect(functionDeploys.map((step) => step.command[3])).toEqual([...Object.keys(projectors), DEAD_LETTER_SINK]);
      for (const { command } of functionDeploys) {
        const env = flag(command, '--set-env-vars')!.split(',');
        expect(env).toEqual(expect.arrayContaining(['NODE_ENV=production', 'PUSH_AUTH=required', `PUSH_SERVICE_ACCOUNT=${PUSHER}`]));
        // Unset: the function expects its own URL, which is only known once it is deployed.
        expect(env.some((v) => v.startsWith('PUSH_AUDIENCE='))).toBe(false);
      }
    });

    it('has every push subscription push as that account, with the URL of the function it pushes to as audience', () => {
      expect(pushSubscriptions).toHaveLength(2 * Object.keys(projectors).length);
      for (const { command } of pushSubscriptions) {
        expect(flag(command, '--push-auth-service-account')).toBe(PUSHER);
        const endpoint = flag(command, '--push-endpoint')!;
        expect(endpoint).toMatch(/^"\$\(gcloud functions describe \w+ .*--format='value\(serviceConfig\.uri\)'\)"$/);
        expect(flag(command, '--push-auth-token-audience')).toBe(endpoint);
      }
    });

    it('lets the push service account invoke every function, and gives the API no push settings', () => {
      for (const fn of [...Object.keys(projectors), DEAD_LETTER_SINK]) {
        expect(lines).toContain(
          `gcloud functions add-invoker-policy-binding ${fn} --region europe-west1 --member serviceAccount:${PUSHER} --project acme-shop`,
        );
      }
      expect(lines.find((line) => line.startsWith('gcloud run deploy eventloom-api'))).not.toMatch(/PUSH_/);
    });
  });

  it('keeps one API instance warm with CPU on, since the outbox relay runs in it, and caps how many can start', () => {
    expect(lines).toContainEqual(
      expect.stringMatching(/^gcloud run deploy eventloom-api .*--min-instances 1 --max-instances 10 --no-cpu-throttling /),
    );
  });

  it("lets the API's requests last an hour, so Cloud Run does not cut SSE streams and WebSockets after 5 minutes", () => {
    expect(lines).toContainEqual(expect.stringMatching(/^gcloud run deploy eventloom-api .* --timeout 3600 /));
  });

  describe('identity', () => {
    const api = plan.find((step) => step.command.slice(0, 3).join(' ') === 'gcloud run deploy')!.command;
    const env = api[api.indexOf('--set-env-vars') + 1]!;

    it('enables Identity Platform and tells the API whose tokens to accept and which origins may call it', () => {
      expect(lines[0]).toMatch(/^gcloud services enable .*identitytoolkit\.googleapis\.com/);
      // An alternate separator, so the comma-separated origins reach the API whole.
      expect(env.startsWith('^|^')).toBe(true);
      expect(env.slice(3).split('|')).toEqual(
        expect.arrayContaining([
          'NODE_ENV=production',
          'AUTH_PROJECT_ID=acme-shop',
          'FIREBASE_API_KEY=AIza-test-key',
          'ALLOWED_ORIGINS=https://shop.example.com,https://admin.example.com',
        ]),
      );
      expect(env).not.toMatch(/ADMIN_ACTORS|FIREBASE_AUTH_EMULATOR_HOST/);
    });

    it('lets idempotency keys expire, like published outbox records', () => {
      expect(lines).toContain(
        'gcloud firestore fields ttls update expireAt --collection-group=idempotencyKeys --enable-ttl --project acme-shop',
      );
    });
  });
});

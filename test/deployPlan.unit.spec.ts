import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_SINK, projections, projectors } from '../functions/projectors.ts';
import { deployPlan } from '../scripts/deployPlan.ts';

const plan = deployPlan({
  project: 'acme-shop',
  region: 'europe-west1',
  functions: Object.keys(projectors),
  deadLetterSink: DEAD_LETTER_SINK,
  domainEventsTopic: 'eventloom-domain-events',
  integrationEventsTopic: 'eventloom-integration-events',
  adminActors: 'ops:alice',
});
const lines = plan.map((step) => step.command.join(' '));

describe('the deploy plan', () => {
  it('has one projector function for every read model, and none without one', () => {
    expect(new Set(Object.values(projectors))).toEqual(new Set(projections));
    expect(Object.keys(projectors)).toHaveLength(projections.length);
  });

  it('deploys every projector and the dead-letter sink as authenticated functions on Node 22', () => {
    for (const fn of [...Object.keys(projectors), DEAD_LETTER_SINK]) {
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^gcloud functions deploy ${fn} --gen2 --runtime nodejs22 .*--no-allow-unauthenticated`)));
    }
  });

  it('feeds each projector through its own push subscription with a dead-letter topic drained by the sink', () => {
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^gcloud pubsub subscriptions create projector-customer-order-history --topic eventloom-domain-events .*--push-auth-service-account eventloom-pusher@acme-shop.*--dead-letter-topic projector-customer-order-history-dead-letter --max-delivery-attempts 5/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^gcloud pubsub subscriptions create projector-customer-order-history-dead-letters --topic projector-customer-order-history-dead-letter --push-endpoint .*storeDeadLetter/),
    );
  });

  it('keeps one API instance warm with CPU on, since the outbox relay runs in it', () => {
    expect(lines).toContainEqual(expect.stringMatching(/^gcloud run deploy eventloom-api .*--min-instances 1 --no-cpu-throttling .*ADMIN_ACTORS=ops:alice/));
  });
});

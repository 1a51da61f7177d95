/**
 * ensureTopology on the Pub/Sub emulator: a projector's subscription carries its type filter, and a changed
 * filter (which Pub/Sub cannot apply to an existing subscription) gets a new subscription, the old one retired.
 */
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureTopology, filteredSubscription, pushSubscriptionName } from '../src/pubsub/topology.ts';
import { uniqueProjectId } from './support/firestore.ts';

const pubsub = new PubSub({ projectId: uniqueProjectId('topology') });
afterAll(() => pubsub.close());

const names = async (topic: string) => {
  const [subscriptions] = await pubsub.topic(topic).getSubscriptions();
  return subscriptions.map((s) => s.name.split('/').at(-1)).sort();
};

describe('ensureTopology with type filters', () => {
  it('creates the filtered subscription, keeps it when nothing changed, and replaces it when the filter changes', async () => {
    const topic = 'domain-events';
    const plain = pushSubscriptionName('projectSalesDashboard');
    const spec = (eventTypes?: readonly string[]) => ({
      topic,
      subscriptions: [{ name: plain, pushEndpoint: 'http://127.0.0.1:9/', ...(eventTypes ? { eventTypes } : {}) }],
      deadLetters: { sinkEndpoint: 'http://127.0.0.1:9/sink' },
    });

    // A projector deployed before filters existed.
    await ensureTopology(pubsub, spec());
    expect(await names(topic)).toEqual([plain]);

    const first = filteredSubscription(plain, ['OrderPlaced', 'OrderCancelled']);
    await ensureTopology(pubsub, spec(['OrderPlaced', 'OrderCancelled']));
    await ensureTopology(pubsub, spec(['OrderPlaced', 'OrderCancelled']));
    expect(await names(topic)).toEqual([first.name]);
    const [metadata] = await pubsub.subscription(first.name).getMetadata();
    expect(metadata.filter).toBe(first.filter);
    // The dead letters keep the projector's plain name across filter generations.
    expect(metadata.deadLetterPolicy?.deadLetterTopic).toMatch(new RegExp(`/topics/${plain}-dead-letter$`));

    const second = filteredSubscription(plain, ['OrderPlaced']);
    await ensureTopology(pubsub, spec(['OrderPlaced']));
    expect(await names(topic)).toEqual([second.name]);
    expect((await pubsub.subscription(second.name).getMetadata())[0].filter).toBe(second.filter);
  });
});

/**
 * Creates the topics and push subscriptions the pipeline needs, if they are missing. Used by
 * `npm run dev`, the tests and the deploy script, so all three run the same topology.
 */
import type { PubSub, Topic } from '@google-cloud/pubsub';

export interface PushSubscriptionSpec {
  readonly name: string;
  readonly pushEndpoint: string;
}

export interface TopologySpec {
  readonly topic: string;
  readonly deadLetterTopic?: string;
  readonly maxDeliveryAttempts?: number;
  readonly subscriptions: readonly PushSubscriptionSpec[];
  /** Topics with no subscription of ours, published to for others (the integration events topic). */
  readonly otherTopics?: readonly string[];
}

const ALREADY_EXISTS = 6;

/** `projectCustomerOrderHistory` → `projector-customer-order-history`: one push subscription per projector function. */
export function pushSubscriptionName(functionName: string): string {
  const kebab = functionName
    .replace(/^project(?=[A-Z])/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
  return `projector-${kebab}`;
}

export async function ensureTopology(pubsub: PubSub, spec: TopologySpec): Promise<Topic> {
  const topic = await ensureTopic(pubsub, spec.topic);
  const deadLetter = spec.deadLetterTopic ? await ensureTopic(pubsub, spec.deadLetterTopic) : undefined;
  for (const other of spec.otherTopics ?? []) await ensureTopic(pubsub, other);
  for (const sub of spec.subscriptions) {
    const options = {
      pushConfig: { pushEndpoint: sub.pushEndpoint },
      enableMessageOrdering: true,
      ackDeadlineSeconds: 30,
      retryPolicy: { minimumBackoff: { seconds: 1 }, maximumBackoff: { seconds: 60 } },
      ...(deadLetter
        ? { deadLetterPolicy: { deadLetterTopic: deadLetter.name, maxDeliveryAttempts: spec.maxDeliveryAttempts ?? 5 } }
        : {}),
    };
    const subscription = topic.subscription(sub.name);
    const [exists] = await subscription.exists();
    if (exists) {
      // The endpoint changes between runs (free ports in tests, a new function URL in the cloud).
      await subscription.modifyPushConfig({ pushEndpoint: sub.pushEndpoint });
    } else {
      await createIgnoringRace(() => topic.createSubscription(sub.name, options));
    }
  }
  return topic;
}

async function ensureTopic(pubsub: PubSub, name: string): Promise<Topic> {
  const topic = pubsub.topic(name);
  const [exists] = await topic.exists();
  if (!exists) await createIgnoringRace(() => topic.create());
  return topic;
}

async function createIgnoringRace(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    if ((error as { code?: unknown }).code !== ALREADY_EXISTS) throw error;
  }
}

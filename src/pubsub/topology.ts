/**
 * Creates the topics and push subscriptions the pipeline needs, if they are missing. Used by
 * `npm run dev`, the tests and the deploy script, so all three run the same topology:
 *
 *   domain events topic ──push──► projector-<read-model>             (one per projector)
 *        after maxDeliveryAttempts ──► projector-<read-model>-dead-letter topic
 *                                        ──push──► projector-<read-model>-dead-letters ──► dead-letter sink
 */
import type { PubSub, Topic } from '@google-cloud/pubsub';

export interface PushSubscriptionSpec {
  readonly name: string;
  readonly pushEndpoint: string;
}

export interface TopologySpec {
  readonly topic: string;
  readonly subscriptions: readonly PushSubscriptionSpec[];
  /** Each subscription gets its own dead-letter topic, pushed to this sink, after this many attempts. */
  readonly deadLetters?: { readonly sinkEndpoint: string; readonly maxDeliveryAttempts?: number };
  /** Redelivery backoff; Pub/Sub's defaults are 10 s to 600 s. */
  readonly retry?: { readonly minimumBackoffSeconds: number; readonly maximumBackoffSeconds: number };
  /** How long Pub/Sub waits for a push to be answered; a dead letter is sent once the last attempt's deadline passes. */
  readonly ackDeadlineSeconds?: number;
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

export const deadLetterTopicName = (subscription: string): string => `${subscription}-dead-letter`;
export const deadLetterSinkSubscriptionName = (subscription: string): string => `${subscription}-dead-letters`;

function seconds(value: number) {
  return { seconds: Math.floor(value), nanos: Math.round((value % 1) * 1e9) };
}

export async function ensureTopology(pubsub: PubSub, spec: TopologySpec): Promise<Topic> {
  const topic = await ensureTopic(pubsub, spec.topic);
  for (const other of spec.otherTopics ?? []) await ensureTopic(pubsub, other);
  const retryPolicy = {
    minimumBackoff: seconds(spec.retry?.minimumBackoffSeconds ?? 1),
    maximumBackoff: seconds(spec.retry?.maximumBackoffSeconds ?? 60),
  };
  const ackDeadlineSeconds = spec.ackDeadlineSeconds ?? 30;
  for (const sub of spec.subscriptions) {
    let deadLetterPolicy: { deadLetterTopic: string; maxDeliveryAttempts: number } | undefined;
    if (spec.deadLetters) {
      const deadLetterTopic = await ensureTopic(pubsub, deadLetterTopicName(sub.name));
      deadLetterPolicy = { deadLetterTopic: deadLetterTopic.name, maxDeliveryAttempts: spec.deadLetters.maxDeliveryAttempts ?? 5 };
      await ensurePushSubscription(deadLetterTopic, deadLetterSinkSubscriptionName(sub.name), spec.deadLetters.sinkEndpoint, {
        retryPolicy,
        ackDeadlineSeconds,
      });
    }
    // Not an ordered subscription: projectors apply each stream in order themselves (a checkpoint per
    // stream, gaps filled from the event store), so delivery order does not matter, and a poison event
    // then holds back nothing, not even later events of other streams behind it in a batch. (The
    // emulator also never dead-letters from an ordered subscription.)
    await ensurePushSubscription(topic, sub.name, sub.pushEndpoint, {
      retryPolicy,
      ackDeadlineSeconds,
      ...(deadLetterPolicy ? { deadLetterPolicy } : {}),
    });
  }
  return topic;
}

async function ensurePushSubscription(topic: Topic, name: string, pushEndpoint: string, options: Record<string, unknown>) {
  const subscription = topic.subscription(name);
  const [exists] = await subscription.exists();
  if (exists) {
    // The endpoint changes between runs (free ports in tests, a new function URL in the cloud).
    await subscription.modifyPushConfig({ pushEndpoint });
    return;
  }
  await createIgnoringRace(() => topic.createSubscription(name, { pushConfig: { pushEndpoint }, ...options }));
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

/**
 * Creates the topics and push subscriptions the pipeline needs, if they are missing. Used by
 * `npm run dev`, the tests and the deploy script, so all three run the same topology:
 *
 *   domain events topic ──push, only the types the read model reads──► projector-<read-model>-f<digest>
 *        after maxDeliveryAttempts ──► projector-<read-model>-dead-letter topic
 *                                        ──push──► projector-<read-model>-dead-letters ──► dead-letter sink
 *
 * Each projector's subscription filters on the `type` attribute of the messages (src/pubsub/eventMessage.ts),
 * so a projector is never pushed an event type it ignores. Pub/Sub cannot change a subscription's filter
 * once it exists, so the subscription's name carries a digest of its filter: a projection that reads other
 * types gets a new subscription beside the old one (the projector is idempotent, so both may deliver for a
 * while), and the old one is retired once its backlog is delivered. Dead-letter topics keep the projector's
 * plain name: they outlive filter changes.
 */
import { createHash } from 'node:crypto';
import type { PubSub, Topic } from '@google-cloud/pubsub';

export interface PushSubscriptionSpec {
  /** The projector's plain subscription name (pushSubscriptionName): its dead-letter topic is named after it. */
  readonly name: string;
  readonly pushEndpoint: string;
  /**
   * The event types the projector reads: only these are pushed to it, through a subscription named by
   * filteredSubscription(). Without it, every message is.
   */
  readonly eventTypes?: readonly string[];
}

/** A subscription filter over the event-type attribute, and the subscription that carries it. */
export interface FilteredSubscription {
  readonly name: string;
  readonly filter: string;
}

/** Pub/Sub's limit on a subscription filter. */
export const FILTER_MAX_BYTES = 256;

export class SubscriptionFilterError extends Error {
  readonly code = 'TOPOLOGY.FILTER';
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
const NOT_FOUND = 5;

/**
 * One push subscription per function: `projectCustomerOrderHistory` → `projector-customer-order-history`, and a
 * workflow's `runPaymentWorkflow` → `workflow-payment`.
 */
export function pushSubscriptionName(functionName: string): string {
  const workflow = /^run[A-Z].*Workflow$/.test(functionName);
  const kebab = (workflow ? functionName.replace(/^run/, '').replace(/Workflow$/, '') : functionName.replace(/^project(?=[A-Z])/, ''))
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
  return `${workflow ? 'workflow' : 'projector'}-${kebab}`;
}

/**
 * A filter that lets through every message whose `type` attribute is one of `eventTypes`. Exact
 * (`attributes.type = "A" OR ...`) when that fits in Pub/Sub's 256 bytes; otherwise, one group at a time
 * until it fits, types sharing a leading word are let through by prefix (`hasPrefix(attributes.type,
 * "Product")`), which may admit a type the projection does not read: harmless, since the projector
 * acknowledges and skips those (a test checks that no known type is admitted by mistake).
 */
export function eventTypeFilter(eventTypes: readonly string[]): string {
  const types = [...new Set(eventTypes)].sort();
  if (types.length === 0) throw new SubscriptionFilterError('A subscription filter needs at least one event type');
  for (const type of types) {
    // Quoted into the filter as is: nothing that could end the string or need escaping.
    if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(type))
      throw new SubscriptionFilterError(`Event type ${JSON.stringify(type)} cannot be filtered on`);
  }
  const byWord = new Map<string, string[]>();
  for (const type of types) byWord.set(leadingWord(type), [...(byWord.get(leadingWord(type)) ?? []), type]);
  // Exact first; while too long, one more group is let through by prefix, the smallest first: a prefix over
  // fewer types is less likely to admit a type the projection does not read.
  const prefixed = new Set<string>();
  const render = () =>
    [...byWord]
      .flatMap(([word, members]) => (prefixed.has(word) ? [`hasPrefix(attributes.type, "${word}")`] : members.map(typeEquals)))
      .join(' OR ');
  const candidates = [...byWord]
    .filter(([, members]) => members.length > 1)
    .sort(([a, left], [b, right]) => left.length - right.length || (a < b ? -1 : 1));
  let filter = render();
  for (const [word] of candidates) {
    if (Buffer.byteLength(filter) <= FILTER_MAX_BYTES) break;
    prefixed.add(word);
    filter = render();
  }
  if (Buffer.byteLength(filter) > FILTER_MAX_BYTES) {
    throw new SubscriptionFilterError(`The filter for ${types.join(', ')} is longer than Pub/Sub's ${FILTER_MAX_BYTES} bytes: ${filter}`);
  }
  return filter;
}

/** Whether a filter made by eventTypeFilter lets a type through (for checking filters against the known types). */
export function filterAdmits(filter: string, type: string): boolean {
  return filter.split(' OR ').some((term) => {
    const prefix = /^hasPrefix\(attributes\.type, "(.+)"\)$/.exec(term)?.[1];
    return prefix !== undefined ? type.startsWith(prefix) : term === typeEquals(type);
  });
}

const typeEquals = (type: string): string => `attributes.type = "${type}"`;
const leadingWord = (type: string): string => /^[A-Z]?[a-z0-9]*/.exec(type)![0] || type;

/** The projector subscription that pushes only `eventTypes`: its name says which filter it has. */
export function filteredSubscription(name: string, eventTypes: readonly string[]): FilteredSubscription {
  const filter = eventTypeFilter(eventTypes);
  return { name: `${name}-f${createHash('sha256').update(filter).digest('hex').slice(0, 8)}`, filter };
}

/** Whether `candidate` is the plain subscription `name` or one of its filtered generations. */
export function isGenerationOf(name: string, candidate: string): boolean {
  return candidate === name || new RegExp(`^${name.replace(/[-.]/g, '\\$&')}-f[0-9a-f]{8}$`).test(candidate);
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
    const filtered = sub.eventTypes ? filteredSubscription(sub.name, sub.eventTypes) : null;
    const name = filtered?.name ?? sub.name;
    // Not an ordered subscription: projectors apply each stream in order themselves (a checkpoint per
    // stream, gaps filled from the event store), so delivery order does not matter, and a poison event
    // then holds back nothing, not even later events of other streams behind it in a batch. (The
    // emulator also never dead-letters from an ordered subscription.)
    await ensurePushSubscription(topic, name, sub.pushEndpoint, {
      retryPolicy,
      ackDeadlineSeconds,
      ...(deadLetterPolicy ? { deadLetterPolicy } : {}),
      ...(filtered ? { filter: filtered.filter } : {}),
    });
    await retireSupersededGenerations(topic, sub.name, name);
  }
  return topic;
}

/**
 * Deletes the other generations of a projector's subscription (the plain one, or one with an older filter),
 * after the current one exists, so no message published from now on misses the projector. For the emulators
 * of `npm run dev` and the tests, whose subscriptions hold no backlog worth keeping; a deployment instead
 * deletes the old generation once its backlog is delivered (see the README's deploy notes).
 */
async function retireSupersededGenerations(topic: Topic, name: string, current: string): Promise<void> {
  const [subscriptions] = await topic.getSubscriptions();
  for (const subscription of subscriptions) {
    const shortName = subscription.name.split('/').at(-1)!;
    if (shortName !== current && isGenerationOf(name, shortName)) {
      await subscription.delete().catch((error: { code?: unknown }) => {
        if (error.code !== NOT_FOUND) throw error;
      });
    }
  }
}

async function ensurePushSubscription(topic: Topic, name: string, pushEndpoint: string, options: Record<string, unknown>) {
  const subscription = topic.subscription(name);
  const [exists] = await subscription.exists();
  if (exists) {
    const [metadata] = await subscription.getMetadata();
    // The name carries the filter's digest, so a different filter here means the name was reused by hand.
    if ((metadata.filter ?? '') !== (options.filter ?? '')) {
      throw new SubscriptionFilterError(
        `Subscription ${name} filters on ${JSON.stringify(metadata.filter)}, not ${JSON.stringify(options.filter)}`,
      );
    }
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

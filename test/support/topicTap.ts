/** A topic for a relay under test, with a tap: a pull subscription that records what was published. */
import { randomUUID } from 'node:crypto';
import type { Message, PubSub, Topic } from '@google-cloud/pubsub';

export interface TappedTopic {
  /** A new topic, created with `messageOrdering: true`, as the relay's are. */
  readonly topic: Topic;
  /** Every message published, as `stream@version`, in the order received. */
  readonly received: string[];
  /** Closes the tap's subscription. */
  close(): Promise<void>;
}

export async function tappedTopic(pubsub: PubSub): Promise<TappedTopic> {
  const topic = pubsub.topic(`topic-${randomUUID().slice(0, 8)}`, { messageOrdering: true });
  await topic.create();
  const [subscription] = await topic.createSubscription(`tap-${randomUUID().slice(0, 8)}`, { enableMessageOrdering: true });
  const received: string[] = [];
  subscription.on('message', (message: Message) => {
    received.push(`${message.attributes.streamId}@${message.attributes.version}`);
    message.ack();
  });
  return { topic, received, close: () => subscription.close() };
}

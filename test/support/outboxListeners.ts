/**
 * Firestore itself, except for how its listeners on the outbox (the events collection group, and every query built
 * from it) listen: tests make the relay's listeners fail or miss events this way, with every query, write and
 * listener still going to the emulator.
 */
import type { Firestore, Query, QuerySnapshot } from '@google-cloud/firestore';
import { EVENTS } from '../../src/firestore/firestoreEventStore.ts';

/** Opens a listener on `query` in place of its own onSnapshot; returns the unsubscribe. */
export type OutboxListen = (query: Query, onNext: (snapshot: QuerySnapshot) => void, onError: (error: Error) => void) => () => void;

export function withOutboxListeners(db: Firestore, listen: OutboxListen): Firestore {
  const listening = <T extends object>(query: T): T =>
    new Proxy(query, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (typeof value !== 'function') return value;
        if (property === 'onSnapshot') {
          return (onNext: (snapshot: QuerySnapshot) => void, onError: (error: Error) => void) =>
            listen(target as unknown as Query, onNext, onError);
        }
        // Queries built from this one listen the same way.
        return (...args: unknown[]) => {
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          return ['where', 'orderBy', 'limit'].includes(String(property)) ? listening(result as object) : result;
        };
      },
    });
  return new Proxy(db, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if (property === 'collectionGroup')
        return (id: string) => (id === EVENTS ? listening(target.collectionGroup(id)) : target.collectionGroup(id));
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

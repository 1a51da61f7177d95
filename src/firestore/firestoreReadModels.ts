/**
 * Reads projection views for the API: a point read, and a live stream of a view document driven by
 * a Firestore listener, so every API instance sees every change whoever wrote it.
 */
import type { Firestore } from '@google-cloud/firestore';
import { Repeater } from 'graphql-yoga';
import type { AnyProjection } from '../core/projection.ts';
import { readModelCollectionName } from './firestoreProjector.ts';

export class FirestoreReadModels {
  constructor(private readonly db: Firestore) {}

  async get<View>(projection: AnyProjection<View>, id: string): Promise<View | null> {
    const snapshot = await this.ref(projection, id).get();
    return snapshot.exists ? (snapshot.data() as View) : null;
  }

  /** Emits the view's current state (null while absent), then every change, until the consumer stops. */
  watch<View>(projection: AnyProjection<View>, id: string): AsyncIterable<View | null> {
    const ref = this.ref(projection, id);
    return new Repeater<View | null>(async (push, stop) => {
      const unsubscribe = ref.onSnapshot(
        (snapshot) => void push(snapshot.exists ? (snapshot.data() as View) : null),
        (error) => stop(error),
      );
      await stop;
      unsubscribe();
    });
  }

  private ref(projection: AnyProjection, id: string) {
    return this.db.collection(readModelCollectionName(projection)).doc(id);
  }
}

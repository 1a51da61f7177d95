import { afterAll } from 'vitest';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { eventStoreContract } from './support/eventStoreContract.ts';
import { testFirestore } from './support/firestore.ts';

const db = testFirestore();
afterAll(() => db.terminate());

eventStoreContract('Firestore (emulator)', () => new FirestoreEventStore(db));

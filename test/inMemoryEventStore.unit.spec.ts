import { InMemoryEventStore } from '../src/core/inMemoryEventStore.ts';
import { eventStoreContract } from './support/eventStoreContract.ts';

eventStoreContract('in-memory', () => new InMemoryEventStore());

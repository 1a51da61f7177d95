/** Personal-data protection as the processes under test build it: the emulators' local key, a fresh cache. */
import type { Firestore } from '@google-cloud/firestore';
import { loadConfig } from '../../src/config.ts';
import { personalDataFromConfig, type PersonalData } from '../../src/privacy/personalDataFromConfig.ts';

export function testPersonalData(db: Firestore): PersonalData {
  return personalDataFromConfig(loadConfig(), db);
}

/**
 * Each test file talks to its own emulator project, so files run in parallel without wiping each
 * other's data. The emulator hosts come from the global setup through process.env.
 */
import { randomUUID } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import { createFirestore } from '../../src/firestore/createFirestore.ts';

export function uniqueProjectId(prefix = 'test'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function testFirestore(projectId = uniqueProjectId()): Firestore {
  if (!process.env.FIRESTORE_EMULATOR_HOST) throw new Error('FIRESTORE_EMULATOR_HOST is not set: run through vitest');
  return createFirestore(projectId);
}

/** Deletes every document of the emulator project (emulator-only endpoint). */
export async function wipeFirestore(projectId: string): Promise<void> {
  const host = process.env.FIRESTORE_EMULATOR_HOST;
  const response = await fetch(`http://${host}/emulator/v1/projects/${projectId}/databases/(default)/documents`, {
    method: 'DELETE',
  });
  if (!response.ok) throw new Error(`wipe failed: ${response.status} ${await response.text()}`);
}

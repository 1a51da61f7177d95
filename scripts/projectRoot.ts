import { fileURLToPath } from 'node:url';

/** The repository's root: where firebase.json and .firebaserc are, and the working directory of every process the scripts start. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

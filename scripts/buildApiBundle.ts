/**
 * `npm run build:api`: writes the API bundle that `npm start` runs (scripts/apiBundle.ts says what is in it and why).
 */
import { relative } from 'node:path';
import { API_BUNDLE_DIR, bundleApi } from './apiBundle.ts';
import { PROJECT_ROOT } from './projectRoot.ts';

const metafile = await bundleApi();
const outputs = Object.entries(metafile.outputs).filter(([path]) => path.endsWith('.js'));
const bytes = outputs.reduce((sum, [, output]) => sum + output.bytes, 0);
console.log(`${relative(PROJECT_ROOT, API_BUNDLE_DIR)}: main.js and ${outputs.length - 1} chunks, ${(bytes / 1e6).toFixed(1)} MB`);

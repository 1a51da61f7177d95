/**
 * Finds a Chromium for the browser tests, so that `npm ci && npm test` needs no browser installed by hand:
 * `CHROME_PATH` if set, else a system Chromium, else the one shipped inside the `@sparticuz/chromium` dev
 * dependency (its binary is in the npm package and is unpacked to the temp folder on first use). Nothing here
 * ever downloads a browser.
 */
import { access, constants } from 'node:fs/promises';

/** Where the tests look for a system Chromium, in this order. */
export const SYSTEM_CHROMIUM_PATHS: readonly string[] = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

/** Flags for a system or user-given Chromium in a container or CI: no GPU, no sandbox (often root), no updates. */
const SYSTEM_ARGS: readonly string[] = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

export interface ChromiumLaunch {
  readonly executablePath: string;
  readonly args: readonly string[];
  /** Which of the three places it came from, for the test log. */
  readonly source: 'CHROME_PATH' | 'system' | '@sparticuz/chromium';
}

export interface FindChromiumOptions {
  /** Read for `CHROME_PATH`, and `SKIP_SYSTEM_CHROMIUM=1`, which passes over the system Chromium (to try the packaged one). */
  readonly env?: NodeJS.ProcessEnv;
  readonly systemPaths?: readonly string[];
  readonly isExecutable?: (path: string) => Promise<boolean>;
  /** The packaged Chromium; loaded only when nothing else is found, since unpacking it costs a few seconds. */
  readonly packaged?: () => Promise<{ executablePath: string; args: readonly string[] }>;
}

export async function findChromium(options: FindChromiumOptions = {}): Promise<ChromiumLaunch> {
  const env = options.env ?? process.env;
  const isExecutable = options.isExecutable ?? canExecute;

  const chromePath = env.CHROME_PATH?.trim();
  if (chromePath) {
    // A path someone set on purpose and got wrong should say so, not quietly test another browser.
    if (!(await isExecutable(chromePath))) throw new Error(`CHROME_PATH=${chromePath} is not an executable file.`);
    return { executablePath: chromePath, args: SYSTEM_ARGS, source: 'CHROME_PATH' };
  }

  if (env.SKIP_SYSTEM_CHROMIUM !== '1') {
    for (const path of options.systemPaths ?? SYSTEM_CHROMIUM_PATHS) {
      if (await isExecutable(path)) return { executablePath: path, args: SYSTEM_ARGS, source: 'system' };
    }
  }

  const packaged = await (options.packaged ?? sparticuzChromium)();
  // Its flags are tuned for AWS Lambda; --single-process there makes closing one browser context close the
  // whole browser, which a test that opens a fresh context per case cannot live with.
  const args = packaged.args.filter((arg) => arg !== '--single-process');
  return { executablePath: packaged.executablePath, args, source: '@sparticuz/chromium' };
}

async function canExecute(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function sparticuzChromium(): Promise<{ executablePath: string; args: readonly string[] }> {
  const { default: chromium } = await import('@sparticuz/chromium');
  return { executablePath: await chromium.executablePath(), args: chromium.args };
}

/**
 * The order in which the browser tests look for a Chromium: CHROME_PATH, then a system Chromium (in the
 * listed order), then the one inside @sparticuz/chromium, which is unpacked only when nothing else is there.
 */
import { describe, expect, it } from 'vitest';
import { type FindChromiumOptions, findChromium, SYSTEM_CHROMIUM_PATHS } from './support/findChromium.ts';

const PACKAGED = { executablePath: '/tmp/chromium', args: ['--headless=shell', '--no-sandbox'] };

/** A machine on which exactly `installed` exist; records which paths were asked about and whether the package was unpacked. */
function machine(installed: string[], env: NodeJS.ProcessEnv = {}) {
  const asked: string[] = [];
  let unpacked = 0;
  const options: FindChromiumOptions = {
    env,
    isExecutable: async (path) => {
      asked.push(path);
      return installed.includes(path);
    },
    packaged: async () => {
      unpacked++;
      return PACKAGED;
    },
  };
  return { options, asked, unpacked: () => unpacked };
}

describe('findChromium', () => {
  it('takes CHROME_PATH first, even where a system Chromium exists', async () => {
    const m = machine(['/opt/chrome/chrome', '/usr/bin/chromium'], { CHROME_PATH: '/opt/chrome/chrome' });
    const found = await findChromium(m.options);
    expect(found).toMatchObject({ executablePath: '/opt/chrome/chrome', source: 'CHROME_PATH' });
    expect(found.args).toContain('--no-sandbox');
    expect(m.asked).toEqual(['/opt/chrome/chrome']);
    expect(m.unpacked()).toBe(0);
  });

  it('refuses a CHROME_PATH that is not there instead of quietly testing another browser', async () => {
    const m = machine(['/usr/bin/chromium'], { CHROME_PATH: '/nowhere/chrome' });
    await expect(findChromium(m.options)).rejects.toThrow('CHROME_PATH=/nowhere/chrome is not an executable file.');
    expect(m.unpacked()).toBe(0);
  });

  it('then tries the system Chromiums in order: chromium, chromium-browser, google-chrome', async () => {
    expect(SYSTEM_CHROMIUM_PATHS.slice(0, 3)).toEqual(['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']);
    const m = machine(['/usr/bin/chromium-browser', '/usr/bin/google-chrome']);
    expect(await findChromium(m.options)).toMatchObject({ executablePath: '/usr/bin/chromium-browser', source: 'system' });
    expect(m.asked).toEqual(['/usr/bin/chromium', '/usr/bin/chromium-browser']);
    expect(m.unpacked()).toBe(0);
  });

  it('falls back to the packaged Chromium, with its own flags, when no other is installed', async () => {
    const m = machine([]);
    expect(await findChromium(m.options)).toEqual({ ...PACKAGED, source: '@sparticuz/chromium' });
    expect(m.asked).toEqual([...SYSTEM_CHROMIUM_PATHS]);
    expect(m.unpacked()).toBe(1);
  });

  it("drops the packaged flags' --single-process, with which closing one context closes the browser", async () => {
    const m = machine([]);
    m.options = { ...m.options, packaged: async () => ({ ...PACKAGED, args: ['--single-process', ...PACKAGED.args] }) };
    expect((await findChromium(m.options)).args).toEqual(PACKAGED.args);
  });

  it('passes over the system Chromium with SKIP_SYSTEM_CHROMIUM=1, to test the packaged one', async () => {
    const m = machine(['/usr/bin/chromium'], { SKIP_SYSTEM_CHROMIUM: '1' });
    expect(await findChromium(m.options)).toMatchObject({ source: '@sparticuz/chromium' });
    expect(m.asked).toEqual([]);
  });

  it('ignores an empty CHROME_PATH', async () => {
    const m = machine(['/usr/bin/chromium'], { CHROME_PATH: ' ' });
    expect(await findChromium(m.options)).toMatchObject({ executablePath: '/usr/bin/chromium', source: 'system' });
  });
});

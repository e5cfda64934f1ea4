/**
 * Takes the screenshots of docs/status-page.md: the sample's status page, served by its probe
 * server, healthy, degraded (its cache down), and stalled (its event loop blocked), plus the
 * degraded page on a phone in the dark theme. Run by hand when the page changes, never by the
 * tests: `npm run docs:screenshots` (it builds the library and the sample first). Uses Debian's
 * Chromium, as the browser suite does (`scripts/debian-packages.sh chromium`).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = `${ROOT}dist-sample/main.js`;
const DOCS = `${ROOT}docs`;
const CHROMIUM = '/usr/bin/chromium';

for (const [file, how] of [
  [MAIN, 'npm run build && npm run build:sample'],
  [CHROMIUM, 'scripts/debian-packages.sh chromium'],
]) {
  if (!existsSync(file)) throw new Error(`${file} does not exist: run \`${how}\` first`);
}

/** Starts the built sample; resolves with its app's and its probe server's bases. */
function startSample() {
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      PROBE_PORT: '0',
      WARMUP_MS: '0',
      MAX_STALL_MS: '2000',
      APP_VERSION: '1.4.2',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the sample did not start:\n${out}`)), 15_000);
    child.on('exit', (code) => reject(new Error(`the sample exited (${code}):\n${out}`)));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const [app, probes] = [...out.matchAll(/(http:\/\/localhost:\d+)\/health\/status\b/g)].map(
        (match) => match[1],
      );
      if (app && probes) {
        clearTimeout(timer);
        resolve({ child, app, probes });
      }
    });
  });
}

const post = (url, method = 'POST') => fetch(url, { method }).then((r) => r.text());

const sample = await startSample();
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  const laptop = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await laptop.newPage();
  const shot = async (name, target = page) => {
    // The relative times tick every second: let them settle on a whole second.
    await target.waitForTimeout(300);
    await target.screenshot({ path: `${DOCS}/status-page-${name}.png`, fullPage: true });
    console.log(`docs/status-page-${name}.png`);
  };
  await page.goto(`${sample.probes}/health/status`);
  await page.locator('#connection', { hasText: 'Live' }).waitFor();
  await page.locator('#loop', { hasText: 'Turning' }).waitFor();
  await page.locator('#probes .badge.fail').waitFor({ state: 'detached' });
  await page.waitForTimeout(1500);
  await shot('healthy');

  await post(`${sample.app}/admin/faults/cache?mode=down`);
  await page.locator('#probes li', { hasText: 'ready' }).locator('.badge.warn').waitFor();
  await page.waitForTimeout(1500);
  await shot('degraded');
  const phone = await browser.newContext({
    viewport: { width: 390, height: 844 },
    colorScheme: 'dark',
    isMobile: true,
    deviceScaleFactor: 1,
  });
  const small = await phone.newPage();
  await small.goto(`${sample.probes}/health/status`);
  await small.locator('#probes li', { hasText: 'ready' }).locator('.badge.warn').waitFor();
  await shot('phone-dark', small);
  await phone.close();
  await post(`${sample.app}/admin/faults/cache`, 'DELETE');
  await page.locator('#probes li', { hasText: 'ready' }).locator('.badge.pass').waitFor();

  const stalled = post(`${sample.app}/admin/stall?ms=8000`);
  await page.locator('#loop', { hasText: 'Stalled' }).waitFor({ timeout: 6000 });
  await page.waitForTimeout(1500);
  await shot('stalled');
  await stalled;
} finally {
  await browser.close();
  sample.child.kill('SIGTERM');
}

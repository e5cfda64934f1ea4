import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, as `.ci/run` installs it (`scripts/debian-packages.sh chromium`). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Launches Debian's Chromium, headless, with nothing that reaches the network on its own (without
 * these flags it tries at every start: updates, sync, field trials).
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
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
}

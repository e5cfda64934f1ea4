import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, type INestApplication } from '@nestjs/common';
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { HealthIndicator, TcpHealthIndicator } from '../lib/index.js';
import { createTestApp } from './support/app.js';
import { launchBrowser } from './support/browser.js';
import { startSample, stopSample, type Sample } from './support/sample-process.js';
import { describeWithBinary } from './support/servers.js';
import { TcpProxy } from './support/tcp-proxy.js';

/*
 * The status page in a real browser (Debian's Chromium, driven by playwright-core): it follows a
 * failing dependency without a reload, says when its connection drops and comes back, shows
 * hostile outputs as text and runs none of them, refuses external callers, and, served by the
 * probe server, reports a stall of the application's event loop while the loop is stuck.
 */

/** Outputs that would run script, were any of them read as markup. */
const HOSTILE = [
  '<img src=x onerror=alert(1)>',
  '</script><script>window.pwned = 2</script>',
  '"><svg onload="window.pwned = 3">',
];

@HealthIndicator({ name: 'hostile', critical: false, probes: ['deep'] })
@Injectable()
class HostileHealth {
  check() {
    return { status: 'warn' as const, output: HOSTILE.join(' ') };
  }
}

/** The status of the ready probe's card. */
const ready = (page: Page) => page.locator('#probes li', { hasText: 'ready' }).locator('.badge');

describeWithBinary('chromium', 'the status page in a browser', () => {
  let browser: Browser;
  let context: BrowserContext;
  let app: INestApplication;
  let database: Server;
  let proxy: TcpProxy;
  let base: string;
  const dialogs: string[] = [];

  beforeAll(async () => {
    database = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => database.listen(0, '127.0.0.1', resolve));
    proxy = await new TcpProxy({
      host: '127.0.0.1',
      port: (database.address() as AddressInfo).port,
    }).start();
    app = await createTestApp({
      health: { statusPage: true, cacheTtlMs: 100, trustProxy: 1 },
      providers: [
        TcpHealthIndicator.register({
          name: 'database',
          host: '127.0.0.1',
          port: proxy.port,
          critical: true,
        }),
        HostileHealth,
      ],
    });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/health`;
    browser = await launchBrowser();
    context = await browser.newContext();
    context.on('page', (page) =>
      page.on(
        'dialog',
        (dialog) => void dialog.dismiss().then(() => dialogs.push(dialog.message())),
      ),
    );
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await proxy?.stop();
    await new Promise((resolve) => database?.close(resolve));
  });

  it('follows a failing critical dependency within a second, without a reload', async () => {
    const page = await context.newPage();
    let navigations = 0;
    page.on('framenavigated', () => navigations++);
    await page.goto(`${base}/status`);
    await page.locator('#connection', { hasText: 'Live' }).waitFor();
    await ready(page).and(page.locator('.pass')).waitFor();
    expect(await ready(page).textContent()).toBe('\u2714 pass');
    const before = navigations;
    await proxy.refuse();
    await page
      .locator('#probes li', { hasText: 'ready' })
      .locator('.badge.fail')
      .waitFor({ timeout: 1000 });
    expect(await ready(page).textContent()).toBe('\u2716 fail');
    expect(navigations).toBe(before);
    const row = page.locator('#checks tr', { hasText: 'database' });
    expect(await row.locator('.badge').textContent()).toBe('\u2716 fail');
    expect(await row.textContent()).toContain('critical');
    await page
      .locator('#history li', { hasText: 'database' })
      .locator('.badge.fail')
      .first()
      .waitFor();
    await proxy.heal();
    await page.close();
  });

  it('says when its connection drops, and reconnects', async () => {
    const front = await new TcpProxy({
      host: '127.0.0.1',
      port: Number(new URL(base).port),
    }).start();
    const page = await context.newPage();
    try {
      await page.goto(`http://127.0.0.1:${front.port}/health/status`);
      await page.locator('#connection', { hasText: 'Live' }).waitFor();
      await front.refuse();
      await page.locator('#connection', { hasText: /lost|refused/ }).waitFor({ timeout: 3000 });
      await front.heal();
      await page.locator('#connection', { hasText: 'Live' }).waitFor({ timeout: 5000 });
    } finally {
      await page.close();
      await front.stop();
    }
  });

  it('shows hostile outputs as the characters they are, and runs none of them', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${base}/status`);
    const row = page.locator('#checks tr', { hasText: 'hostile' });
    await row.waitFor();
    const output = await row.locator('.output').textContent();
    expect(output).toBe(HOSTILE.join(' '));
    expect(await page.locator('#main img, #main svg, #main script').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { pwned?: unknown }).pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('answers external callers deniedStatus, as deep', async () => {
    const outside = await browser.newContext({
      extraHTTPHeaders: { 'X-Forwarded-For': '203.0.113.9' },
    });
    const page = await outside.newPage();
    const response = await page.goto(`${base}/status`);
    expect(response?.status()).toBe(403);
    expect(await page.locator('#probes').count()).toBe(0);
    await outside.close();
  });

  it('is reachable by keyboard, with its landmarks and statuses in words', async () => {
    const page = await context.newPage();
    await page.goto(`${base}/status`);
    await page.locator('#checks tr').first().waitFor();
    await page.keyboard.press('Tab');
    expect(await page.locator(':focus').textContent()).toBe('Skip to the status');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    expect(await page.locator(':focus').getAttribute('aria-labelledby')).toBe('checks-title');
    for (const landmark of ['header', 'main', 'footer']) {
      expect(await page.locator(landmark).count()).toBe(1);
    }
    expect(await page.locator('#checks .badge').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^. (pass|warn|fail)$/)]),
    );
    await page.close();
  });

  describe("the probe server's page (the sample, in a process of its own)", () => {
    let sample: Sample | undefined;

    afterAll(async () => {
      await stopSample(sample);
    });

    it("reports a stall while the application's event loop is stuck, and keeps answering", async () => {
      sample = await startSample({ WARMUP_MS: '0', MAX_STALL_MS: '1000' });
      const page = await context.newPage();
      const probes = sample.probes.live.replace(/\/live$/, '');
      await page.goto(`${probes}/status`);
      await page.locator('#loop', { hasText: 'Turning' }).waitFor();
      const admin = sample.urls.live.replace(/\/health\/live$/, '/admin');
      const stall = fetch(`${admin}/stall?ms=6000`, { method: 'POST' });
      await page.locator('#loop', { hasText: 'Stalled' }).waitFor({ timeout: 3500 });
      expect(await page.locator('#loop').getAttribute('role')).toBe('alert');
      // Opened while the loop is stuck: the probe server serves the page and reports the stall.
      const late = await context.newPage();
      await late.goto(`${probes}/status`);
      await late
        .locator('#loop', { hasText: 'the event loop has not turned for' })
        .waitFor({ timeout: 2000 });
      expect(await late.locator('#probes .badge.fail').count()).toBe(4);
      await stall;
      await page.locator('#loop', { hasText: 'Turning' }).waitFor({ timeout: 3000 });
      await Promise.all([page.close(), late.close()]);
    });
  });
});

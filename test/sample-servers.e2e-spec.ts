import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { HealthReport } from 'nestjs-probes';
import { describeWithServer, SERVERS } from './support/servers.js';
import { running, startSample, stopSample, type Sample } from './support/sample-process.js';

/** The sample with DATABASE_URL and REDIS_URL: the library's indicators on the real servers. */
await describeWithServer('postgres', 'the sample on real PostgreSQL and Redis', () => {
  let sample: Sample | undefined;

  beforeAll(async () => {
    sample = await startSample({
      WARMUP_MS: '0',
      DATABASE_URL: SERVERS.postgres,
      REDIS_URL: SERVERS.redis,
    });
  });

  afterAll(async () => {
    if (running(sample)) await stopSample(sample);
  });

  it('checks the database and the cache with the library’s indicators', async () => {
    let report: HealthReport | undefined;
    for (let attempt = 0; attempt < 40; attempt++) {
      const response = await fetch(sample!.urls.ready);
      report = (await response.json()) as HealthReport;
      if (response.status === 200 && report.status === 'pass') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(report?.status).toBe('pass');
    const database = report!.checks!['database:responseTime'][0];
    const cache = report!.checks!['cache:responseTime'][0];
    expect(database).toMatchObject({
      componentType: 'datastore',
      status: 'pass',
      observedUnit: 'ms',
    });
    // The pool's counters show it is the library's PostgreSQL indicator, not the in-process one.
    expect(database.details).toHaveProperty('totalCount');
    expect(cache).toMatchObject({ componentType: 'datastore', status: 'pass' });
  });

  it('exits 0 on SIGTERM, closing the pool and the Redis client', async () => {
    expect(await stopSample(sample)).toBe('code 0');
  });
});

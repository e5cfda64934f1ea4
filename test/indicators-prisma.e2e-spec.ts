import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Injectable,
  type INestApplication,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PrismaHealthIndicator } from '../lib/index.js';
import { createTestApp } from './support/app.js';
import { closeLeavesNothing, outage, passing, startUpError } from './support/orm.js';
import { describeWithServer, endpoint, via } from './support/servers.js';
import { TcpProxy } from './support/tcp-proxy.js';

/**
 * PrismaHealthIndicator with a Prisma 7 client (the `prisma-client` generator, generated from
 * test/fixtures/prisma/schema.prisma before the suite) on @prisma/adapter-pg, against the real
 * PostgreSQL through a TCP proxy the test owns. Prisma has no official Nest module: the app
 * provides a PrismaService extending the client, as Nest's Prisma recipe does.
 */

const TIMEOUT_MS = 300;
const TTL_MS = 200;
const timing = { timeoutMs: TIMEOUT_MS, cacheTtlMs: TTL_MS };
const GENERATE = fileURLToPath(new URL('../scripts/prisma-generate.mjs', import.meta.url));

type Generated = typeof import('./fixtures/prisma/generated/client.js');

/** The generated client, generated first when it is missing or older than its schema. */
async function generatedClient(): Promise<Generated['PrismaClient']> {
  await promisify(execFile)(process.execPath, [GENERATE], { timeout: 60_000 });
  const generated = (await import('./fixtures/prisma/generated/client.js')) as Generated;
  return generated.PrismaClient;
}

await describeWithServer('postgres', 'PrismaHealthIndicator on PostgreSQL', () => {
  let proxy: TcpProxy;
  let app: INestApplication;
  let PrismaService: new () => OnModuleDestroy;

  beforeAll(async () => {
    proxy = await new TcpProxy(endpoint('postgres')).start();
    const PrismaClient = await generatedClient();
    const url = via('postgres', proxy.port);

    @Injectable()
    class AppPrismaService extends PrismaClient implements OnModuleInit, OnModuleDestroy {
      constructor() {
        super({ adapter: new PrismaPg({ connectionString: url, max: 2 }) });
      }

      // As Nest's Prisma recipe does: connect at start-up, not on the first query.
      async onModuleInit() {
        await this.$connect();
      }

      async onModuleDestroy() {
        await this.$disconnect();
      }
    }
    PrismaService = AppPrismaService;
    app = await createTestApp({
      providers: [
        AppPrismaService,
        PrismaHealthIndicator.register({ client: AppPrismaService, name: 'db', ...timing }),
      ],
    });
  });

  afterAll(async () => {
    await app?.close();
    await proxy?.stop();
  });

  it('checks the application’s PrismaService', async () => {
    const { entry } = await passing(app, 'db');
    expect(entry).toMatchObject({
      componentId: 'db',
      componentType: 'datastore',
      status: 'pass',
      observedUnit: 'ms',
    });
    expect(entry.observedValue).toBeLessThan(TIMEOUT_MS);
    expect(app.get(PrismaService)).toBeDefined();
  });

  it('goes through an outage, the query it gives up on left to Prisma, and no more', async () => {
    await outage({
      app,
      name: 'db',
      proxy,
      timeoutMs: TIMEOUT_MS,
      ttlMs: TTL_MS,
      refused:
        /^SELECT 1 failed: Raw query failed\. Code: `N\/A`\. Message: `Can't reach database server at 127\.0\.0\.1:\d+`$/,
      leftOpen: [1, 1, 1],
    });
  });

  it('closes with the app, leaving no connection open', async () => {
    await closeLeavesNothing(app, proxy);
  });
});

describe('PrismaHealthIndicator start-up', () => {
  const PRISMA = Symbol('PRISMA');

  it('stops when the token names nothing the application provides', async () => {
    expect(await startUpError([PrismaHealthIndicator.register({ client: PRISMA })])).toMatch(
      /^Nest can't resolve dependencies of the PrismaHealthIndicator\(prisma\) \(\?\)/,
    );
  });

  it('stops when @prisma/client is not installed', async () => {
    class OrphanPrismaHealthIndicator extends PrismaHealthIndicator {
      static override readonly peer: string = 'not-an-installed-package-nestjs-probes';
    }
    const prisma = { provide: PRISMA, useValue: { $queryRawUnsafe: async () => [] } };
    expect(
      await startUpError([prisma, OrphanPrismaHealthIndicator.register({ client: PRISMA })]),
    ).toMatch(
      /^OrphanPrismaHealthIndicator\(prisma\) needs the "not-an-installed-package-nestjs-probes" package/,
    );
  });

  it('stops on a client that is no Prisma client, and on bad settings', async () => {
    const notPrisma = { provide: PRISMA, useValue: { query: async () => [] } };
    expect(
      await startUpError([notPrisma, PrismaHealthIndicator.register({ client: PRISMA })]),
    ).toMatch(/^PrismaHealthIndicator\(prisma\) needs a Prisma client/);
    const prisma = { provide: PRISMA, useValue: { $queryRawUnsafe: async () => [] } };
    expect(
      await startUpError([prisma, PrismaHealthIndicator.register({ client: PRISMA, query: ' ' })]),
    ).toMatch(/^PrismaHealthIndicator\(prisma\): "query" is " "/);
  });
});

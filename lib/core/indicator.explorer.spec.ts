import { afterEach, describe, expect, it } from '@jest/globals';
import { Inject, Injectable, Module, Scope, type Type } from '@nestjs/common';
import { REQUEST } from '@nestjs/core';
import { Test, type TestingModule } from '@nestjs/testing';
import { defineIndicator } from '../../test/support/indicators.js';
import { HealthIndicator } from '../decorators/health-indicator.decorator.js';
import { HealthModule } from '../health.module.js';
import { HealthService } from '../health.service.js';
import type { HealthIndicatorOptions } from '../interfaces/health-indicator-options.interface.js';
import { startUpFailure } from '../../test/support/app.js';

let moduleRef: TestingModule | undefined;
const silent = { log() {}, error() {}, warn() {} };

async function boot(imports: Type<unknown>[], providers: Type<unknown>[] = []) {
  @Module({ imports: [HealthModule.forRoot(), ...imports], providers })
  class AppModule {}
  moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .setLogger(silent)
    .compile();
  await moduleRef.init();
  return moduleRef.get(HealthService);
}

/** Boots an app that must fail to start, and returns why. */
const failure = (imports: Type<unknown>[], providers: Type<unknown>[] = []) =>
  startUpFailure(() => boot(imports, providers));

afterEach(async () => {
  await moduleRef?.close().catch(() => undefined);
  moduleRef = undefined;
});

@Injectable()
class Db {
  query = async () => 1;
}

@HealthIndicator({ name: 'db' })
@Injectable()
class DbHealth {
  constructor(private readonly db: Db) {}
  async check() {
    return { observedValue: await this.db.query(), observedUnit: 'rows' };
  }
}

describe('IndicatorExplorer', () => {
  it('finds decorated providers anywhere in the module graph, with their dependencies injected', async () => {
    @Module({ providers: [Db, DbHealth] })
    class DeepFeatureModule {}
    @Module({ imports: [DeepFeatureModule] })
    class FeatureModule {}
    const health = await boot([FeatureModule]);
    const report = await health.check('ready');
    expect(report.checks!['db:responseTime'][0]).toMatchObject({
      status: 'pass',
      observedValue: 1,
      observedUnit: 'rows',
    });
  });

  it('finds indicators provided with useClass', async () => {
    @Module({ providers: [Db, { provide: 'DB_HEALTH', useClass: DbHealth }] })
    class FeatureModule {}
    const health = await boot([FeatureModule]);
    expect(Object.keys((await health.check('ready')).checks!)).toEqual(['db:responseTime']);
  });

  it('ignores undecorated providers that happen to have a check() method', async () => {
    @Injectable()
    class NotAnIndicator {
      check() {
        throw new Error('should never run');
      }
    }
    const health = await boot([], [NotAnIndicator]);
    expect((await health.check('deep')).status).toBe('pass');
  });

  describe('stops start-up, saying what to change, when', () => {
    it('two indicators share a name', async () => {
      const First = defineIndicator({ name: 'db' });
      const Second = defineIndicator({ name: 'db' });
      Object.defineProperty(Second, 'name', { value: 'PgHealth' });
      expect(await failure([], [First, Second])).toBe(
        'Health indicator "db" is declared twice: in DbHealth and in PgHealth. Give one of them another name.',
      );
    });

    it('one indicator class is provided in two modules', async () => {
      const Pg = defineIndicator({ name: 'pg' });
      @Module({ providers: [Pg] })
      class OneModule {}
      @Module({ providers: [Pg] })
      class OtherModule {}
      expect(await failure([OneModule, OtherModule])).toMatch(
        /Health indicator "pg" \(PgHealth\) is provided in more than one module.*Provide PgHealth in one module/,
      );
    });

    it('a decorated class has no check() method', async () => {
      @HealthIndicator({ name: 'broken' })
      @Injectable()
      class BrokenHealth {}
      expect(await failure([], [BrokenHealth])).toMatch(
        /BrokenHealth is decorated with @HealthIndicator\(\) but has no check\(\) method/,
      );
    });

    it('an indicator is request-scoped', async () => {
      @HealthIndicator({ name: 'scoped' })
      @Injectable({ scope: Scope.REQUEST })
      class ScopedHealth {
        check() {}
      }
      expect(await failure([], [ScopedHealth])).toMatch(
        /Health indicator ScopedHealth is request-scoped.*must be singletons/,
      );
    });

    it('an indicator is request-scoped through a dependency', async () => {
      @HealthIndicator({ name: 'implicit' })
      @Injectable()
      class ImplicitHealth {
        constructor(@Inject(REQUEST) readonly request: unknown) {}
        check() {}
      }
      expect(await failure([], [ImplicitHealth])).toMatch(/ImplicitHealth is request-scoped/);
    });

    it('an indicator is transient', async () => {
      @HealthIndicator({ name: 'transient' })
      @Injectable({ scope: Scope.TRANSIENT })
      class TransientHealth {
        check() {}
      }
      expect(await failure([], [TransientHealth])).toMatch(/TransientHealth is transient/);
    });

    it.each<[Partial<HealthIndicatorOptions>, RegExp]>([
      [{ name: 'db', timeoutMs: 0 }, /on WeirdHealth: "timeoutMs" is number 0/],
      [
        { name: 'db', probes: ['liveness' as 'ready'] },
        /on WeirdHealth: "probes\[0\]" is "liveness"; it must be one of 'startup', 'ready', 'deep'/,
      ],
      [{ name: '' }, /on WeirdHealth: "name" is ""/],
    ])('a decorator option is invalid: %j', async (options, message) => {
      @HealthIndicator(options as HealthIndicatorOptions)
      @Injectable()
      class WeirdHealth {
        check() {}
      }
      expect(await failure([], [WeirdHealth])).toMatch(message);
    });
  });
});

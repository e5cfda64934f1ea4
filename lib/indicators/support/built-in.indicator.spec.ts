import { afterEach, describe, expect, it } from '@jest/globals';
import { HttpStatus, Inject, Injectable, Module, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createTestApp, startUpFailure } from '../../../test/support/app.js';
import { until } from '../../../test/support/wait.js';
import { HealthIndicator } from '../../decorators/health-indicator.decorator.js';
import { HealthModule } from '../../health.module.js';
import { HealthService } from '../../health.service.js';
import type { CheckResult } from '../../interfaces/health-check.interface.js';
import { BuiltInIndicator, type ClientLocation } from './built-in.indicator.js';
import { isInstalled } from '../../core/peers.js';

/** A stand-in client, provided by the application under its own token. */
interface Thermometer {
  read(): Promise<number>;
}
const THERMOMETER = Symbol('THERMOMETER');
const thermometer = (celsius: number): Thermometer => ({ read: async () => celsius });

interface TemperatureSettings {
  client: Thermometer;
  maxCelsius?: number;
}

/** A built-in-style indicator, as the library's own are written. */
class TemperatureHealthIndicator extends BuiltInIndicator<TemperatureSettings> {
  static override readonly defaults = { name: 'temperature', componentType: 'system' };
  static override readonly settingKeys = ['client', 'maxCelsius'];

  protected override validate(settings: TemperatureSettings): void {
    if (typeof settings.client?.read !== 'function')
      throw new Error('client must be a Thermometer');
  }

  async check(): Promise<CheckResult> {
    const celsius = await this.settings.client.read();
    const max = this.settings.maxCelsius ?? 80;
    if (celsius > max) throw new Error(`${celsius} °C, above ${max} °C`);
    return { observedValue: celsius, observedUnit: 'celsius' };
  }
}

class QuantumHealthIndicator extends TemperatureHealthIndicator {
  static override readonly peer = 'not-an-installed-package-nestjs-probes';
}

/** The token a (pretend) Nest integration provides its thermometers under. */
const thermometerToken = (room?: string) => (room ? `${room}Thermometer` : THERMOMETER);

interface ThermostatSettings {
  client?: Thermometer;
  room?: string;
}

/** An indicator of a client a Nest integration provides: found with no `client` token. */
class ThermostatHealthIndicator extends BuiltInIndicator<ThermostatSettings> {
  static override readonly defaults = { name: 'thermostat', componentType: 'system' };
  static override readonly settingKeys = ['client', 'room'];
  static tokenLoads = 0;

  static override locate(settings: Record<string, unknown>): ClientLocation {
    return {
      package: '@nestjs/core',
      token: async () => {
        ThermostatHealthIndicator.tokenLoads++;
        return thermometerToken(settings.room as string | undefined);
      },
      missing: `no thermometer${settings.room ? ` in room "${settings.room}"` : ''}. Import ThermometerModule.`,
    };
  }

  async check(): Promise<CheckResult> {
    return { observedValue: await this.settings.client!.read(), observedUnit: 'celsius' };
  }
}

let app: INestApplication | undefined;

/** Boots an app that must fail to start, and returns why. */
const failure = (providers: unknown[]) =>
  startUpFailure(() => createTestApp({ providers: providers as never[] }));

afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('BuiltInIndicator', () => {
  it('registers in one line, with the client from DI and the decorator options given', async () => {
    app = await createTestApp({
      providers: [
        { provide: THERMOMETER, useValue: thermometer(21) },
        TemperatureHealthIndicator.register({ client: THERMOMETER, name: 'cpu', critical: false }),
      ],
    });
    const { body } = await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(body.checks['cpu:responseTime'][0]).toMatchObject({
      componentId: 'cpu',
      componentType: 'system',
      status: 'pass',
      observedValue: 21,
      observedUnit: 'celsius',
    });
  });

  it('registers the same class twice under two names, and applies each one’s settings', async () => {
    app = await createTestApp({
      providers: [
        { provide: THERMOMETER, useValue: thermometer(70) },
        TemperatureHealthIndicator.register({ client: THERMOMETER, name: 'cpu', maxCelsius: 90 }),
        TemperatureHealthIndicator.register({ client: THERMOMETER, name: 'gpu', maxCelsius: 60 }),
      ],
    });
    const report = await app.get(HealthService).check('ready');
    expect(report.checks!['cpu:responseTime'][0].status).toBe('pass');
    expect(report.checks!['gpu:responseTime'][0]).toMatchObject({
      status: 'fail',
      output: '70 °C, above 60 °C',
    });
  });

  it('takes its settings from a factory with registerAsync, under forRootAsync', async () => {
    @Injectable()
    class Config {
      readonly maxCelsius = 10;
    }
    @Module({ providers: [Config], exports: [Config] })
    class ConfigModule {}
    @Module({
      imports: [
        ConfigModule,
        HealthModule.forRootAsync({ useFactory: () => ({ path: 'status' }) }),
      ],
      providers: [
        { provide: THERMOMETER, useValue: thermometer(21) },
        TemperatureHealthIndicator.registerAsync({
          name: 'room',
          inject: [THERMOMETER, Config],
          useFactory: (client: Thermometer, config: Config) => ({
            client,
            maxCelsius: config.maxCelsius,
          }),
        }),
      ],
    })
    class AppModule {}
    app = await createTestApp({ module: AppModule });
    const { body } = await request(app.getHttpServer())
      .get('/status/ready')
      .expect(HttpStatus.SERVICE_UNAVAILABLE);
    expect(body.checks['room:responseTime'][0].output).toBe('21 °C, above 10 °C');
  });

  it('honours every decorator option given to register(), failureThreshold and refreshIntervalMs included', async () => {
    let celsius = 20;
    const reads: number[] = [];
    app = await createTestApp({
      providers: [
        {
          provide: THERMOMETER,
          useValue: { read: async () => (reads.push(Date.now()), celsius) },
        },
        TemperatureHealthIndicator.register({
          client: THERMOMETER,
          failureThreshold: 2,
          refreshIntervalMs: 100,
        }),
      ],
    });
    const health = app.get(HealthService);
    expect((await health.check('ready')).status).toBe('pass');
    // Background runs follow refreshIntervalMs with no probe asking (without it, none runs)...
    const before = reads.length;
    await until(() => reads.length >= before + 2, 'two background runs');
    // ...no sooner than the interval allows (less its 10 % jitter).
    const gaps = reads.slice(before - 1).map((at, i, all) => (i === 0 ? 100 : at - all[i - 1]!));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(100 * 0.9 - 2);
    // Once the check has passed, the first failure of two is damped to warn: failureThreshold
    // reached the indicator. (Before its first pass, a failure is run again sooner.)
    const changes: { to: string; output?: string }[] = [];
    const subscription = health.changes$.subscribe((change) => changes.push(change));
    celsius = 95;
    await until(() => changes.some((change) => change.to === 'fail'), 'a failure');
    subscription.unsubscribe();
    expect(changes).toEqual([
      {
        check: 'temperature',
        from: 'pass',
        to: 'warn',
        output: '95 °C, above 80 °C (failure 1 of 2)',
        at: expect.any(String),
      },
      {
        check: 'temperature',
        from: 'warn',
        to: 'fail',
        output: '95 °C, above 80 °C',
        at: expect.any(String),
      },
    ]);
  });

  it('can be extended and decorated like any indicator', async () => {
    @HealthIndicator({ name: 'server-room', critical: false })
    @Injectable()
    class ServerRoomHealth extends TemperatureHealthIndicator {
      constructor(@Inject(THERMOMETER) client: Thermometer) {
        super({ client, maxCelsius: 30 });
      }
    }
    app = await createTestApp({
      providers: [{ provide: THERMOMETER, useValue: thermometer(35) }, ServerRoomHealth],
    });
    const report = await app.get(HealthService).check('ready');
    expect(report).toMatchObject({ status: 'warn', output: 'server-room: 35 °C, above 30 °C' });
  });

  describe('with no client token, for an indicator of a Nest integration (locate())', () => {
    it('injects the integration’s provider, waiting for its async factory', async () => {
      const loadsBefore = ThermostatHealthIndicator.tokenLoads;
      app = await createTestApp({
        providers: [
          {
            provide: THERMOMETER,
            // A connection that takes a while to open, as an ORM's does.
            useFactory: () => new Promise((resolve) => setTimeout(resolve, 50, thermometer(19))),
          },
          { provide: 'kitchenThermometer', useValue: thermometer(24) },
          ThermostatHealthIndicator.register({}),
          ThermostatHealthIndicator.register({ name: 'kitchen', room: 'kitchen' }),
        ],
      });
      const report = await app.get(HealthService).check('ready');
      expect(report.checks!['thermostat:responseTime'][0].observedValue).toBe(19);
      expect(report.checks!['kitchen:responseTime'][0].observedValue).toBe(24);
      // The token is loaded when the application starts, not when the module is declared.
      expect(ThermostatHealthIndicator.tokenLoads).toBe(loadsBefore + 2);
    });

    it('takes a client token all the same', async () => {
      app = await createTestApp({
        providers: [
          { provide: 'MY_THERMOMETER', useValue: thermometer(30) },
          ThermostatHealthIndicator.register({ client: 'MY_THERMOMETER' }),
        ],
      });
      const report = await app.get(HealthService).check('ready');
      expect(report.checks!['thermostat:responseTime'][0].observedValue).toBe(30);
    });

    it('stops start-up when nothing is provided under the token, saying what to change', async () => {
      expect(await failure([ThermostatHealthIndicator.register({ room: 'attic' })])).toBe(
        'ThermostatHealthIndicator(thermostat) found no client to check: no thermometer in room "attic". Import ThermometerModule.',
      );
    });

    it('stops start-up on a typo in a setting, before looking anywhere', async () => {
      expect(
        await failure([
          { provide: THERMOMETER, useValue: thermometer(1) },
          ThermostatHealthIndicator.register({ ...({ rooom: 'attic' } as object) }),
        ]),
      ).toMatch(/^ThermostatHealthIndicator\(thermostat\) has no setting or option "rooom"/);
    });

    it('stops start-up when the integration package is not installed', async () => {
      class OrphanHealthIndicator extends ThermostatHealthIndicator {
        static override locate(settings: Record<string, unknown>): ClientLocation {
          return { ...super.locate(settings), package: 'not-an-installed-package-nestjs-probes' };
        }
      }
      expect(await failure([OrphanHealthIndicator.register({})])).toMatch(
        /^OrphanHealthIndicator\(thermostat\) needs the "not-an-installed-package-nestjs-probes" package/,
      );
    });
  });

  describe('stops start-up, saying what to change, when', () => {
    it('the client library is not installed', async () => {
      expect(
        await failure([
          { provide: THERMOMETER, useValue: thermometer(1) },
          QuantumHealthIndicator.register({ client: THERMOMETER }),
        ]),
      ).toBe(
        'QuantumHealthIndicator(temperature) needs the "not-an-installed-package-nestjs-probes" package, which is not installed. Install it: npm install not-an-installed-package-nestjs-probes',
      );
    });

    it('the settings are wrong', async () => {
      expect(
        await failure([
          { provide: THERMOMETER, useValue: {} },
          TemperatureHealthIndicator.register({ client: THERMOMETER }),
        ]),
      ).toBe('client must be a Thermometer');
    });

    it('register() is given a key that is neither a setting nor an option (a typo)', async () => {
      expect(
        await failure([
          { provide: THERMOMETER, useValue: thermometer(1) },
          TemperatureHealthIndicator.register({
            client: THERMOMETER,
            ...({ timeout: 5 } as object),
          }),
        ]),
      ).toBe(
        'TemperatureHealthIndicator(temperature) has no setting or option "timeout". Its settings: "client", "maxCelsius"; the options of every indicator: "name", "critical", "timeoutMs", "cacheTtlMs", "probes", "measurement", "componentType", "refreshIntervalMs", "failureThreshold".',
      );
    });

    it('a registerAsync() factory returns a key the indicator does not know', async () => {
      expect(
        await failure([
          TemperatureHealthIndicator.registerAsync({
            useFactory: () => ({ client: thermometer(1), maxCelcius: 60 }) as never,
          }),
        ]),
      ).toMatch(/has no setting or option "maxCelcius"/);
    });

    it('two registrations keep the default name', async () => {
      expect(
        await failure([
          { provide: THERMOMETER, useValue: thermometer(1) },
          TemperatureHealthIndicator.register({ client: THERMOMETER }),
          TemperatureHealthIndicator.register({ client: THERMOMETER }),
        ]),
      ).toMatch(
        /Health indicator "temperature" is declared twice: in TemperatureHealthIndicator\(temperature\) and in TemperatureHealthIndicator\(temperature\)/,
      );
    });
  });

  it('refuses a registration without the client token, at once', () => {
    expect(() =>
      TemperatureHealthIndicator.register({ client: undefined as unknown as symbol }),
    ).toThrow('TemperatureHealthIndicator.register() needs "client"');
  });

  it('knows which packages are installed, ESM-only ones included', () => {
    expect(isInstalled('@nestjs/core')).toBe(true);
    expect(isInstalled('not-an-installed-package-nestjs-probes')).toBe(false);
  });
});

import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { createTestApp } from '../../test/support/app.js';
import { HealthModule } from '../health.module.js';
import { resolveHealthOptions, resolveIndicatorOptions } from '../options/health.options.js';
import { BuiltInIndicator } from '../indicators/support/built-in.indicator.js';

/**
 * Option keys are looked up as own keys wherever options are read: a key named like a member of
 * every object (`constructor`, `toString`, `__proto__` from JSON) is an unknown option like any
 * other, never a rule, a default or a prototype.
 */

/** Every member of `Object.prototype`, `__proto__` included. */
const MEMBERS = Object.getOwnPropertyNames(Object.prototype);

/** `{ ...more, [key]: 1 }` as `JSON.parse` makes it: `__proto__` is a key like any other. */
const withKey = (key: string, more: Record<string, unknown> = {}): Record<string, unknown> =>
  Object.fromEntries([...Object.entries(more), [key, 1]]);

const PLACES: [string, (key: string) => unknown, (key: string) => string][] = [
  ['at the top', (key) => withKey(key), (key) => `HealthModule has no option "${key}". Known`],
  [
    'in probeServer',
    (key) => ({ probeServer: withKey(key, { port: 0 }) }),
    (key) => `HealthModule option "probeServer" has no key "${key}". Known keys: "port", "host"`,
  ],
  [
    'in shutdown',
    (key) => ({ shutdown: withKey(key) }),
    (key) => `HealthModule option "shutdown" has no key "${key}". Known keys: "signals"`,
  ],
  [
    'in grpc',
    (key) => ({ grpc: withKey(key) }),
    (key) => `HealthModule option "grpc" has no key "${key}". Known keys: "maxWatchStreams".`,
  ],
  [
    'in metrics',
    (key) => ({ metrics: withKey(key) }),
    (key) => `HealthModule option "metrics" has no key "${key}". Known keys: "registry".`,
  ],
  [
    'in a group',
    (key) => ({ groups: { payments: withKey(key, { include: ['db'] }) } }),
    (key) => `HealthModule option "groups.payments" has no key "${key}". Known keys: "include"`,
  ],
  [
    'in access',
    (key) => ({ access: withKey(key) }),
    (key) => `HealthModule option "access" has no key "${key}". Known keys: "live", "ready"`,
  ],
];

describe('option keys named like members of Object', () => {
  it('are own keys in these tests, __proto__ included', () => {
    expect(MEMBERS).toEqual(expect.arrayContaining(['constructor', 'toString', '__proto__']));
    expect(Object.keys(withKey('__proto__'))).toEqual(['__proto__']);
  });

  it.each(
    PLACES.flatMap(([where, options, message]) =>
      MEMBERS.map((key) => [key, where, options, message] as const),
    ),
  )('"%s" %s of the module options is an unknown key', (key, _, options, message) => {
    expect(() => resolveHealthOptions(options(key))).toThrow(message(key));
  });

  it.each(MEMBERS)('"%s" in @HealthIndicator() options is an unknown option', (key) => {
    expect(() =>
      resolveIndicatorOptions('DbHealth', withKey(key, { name: 'db' }), resolveHealthOptions({})),
    ).toThrow(`@HealthIndicator() on DbHealth has no option "${key}". Known options: "name"`);
  });

  describe('given to forRoot()', () => {
    it('stops at "__proto__" from JSON, which would otherwise become the options’ prototype', () => {
      const options = JSON.parse('{ "__proto__": { "path": "elsewhere" } }') as object;
      expect(() => HealthModule.forRoot(options)).toThrow(
        'HealthModule has no option "__proto__". Known options: "path"',
      );
    });

    it.each(MEMBERS.filter((key) => key !== '__proto__'))('stops start-up at "%s"', async (key) => {
      await expect(createTestApp({ health: withKey(key) })).rejects.toThrow(
        `HealthModule has no option "${key}". Known options: "path"`,
      );
    });
  });

  describe('given to register()', () => {
    class ThingHealthIndicator extends BuiltInIndicator<{ client: unknown }> {
      static override readonly defaults = { name: 'thing' };
      static override readonly settingKeys = ['client'];
      async check(): Promise<void> {}
    }
    let app: INestApplication | undefined;
    afterEach(async () => {
      await app?.close();
      app = undefined;
    });

    it.each(MEMBERS)('stops start-up at "%s", naming the settings there are', async (key) => {
      const registration = ThingHealthIndicator.register(
        withKey(key, { client: 'THING' }) as {
          client: string;
        },
      );
      const providers = [{ provide: 'THING', useValue: {} }, registration];
      await expect(createTestApp({ providers }).then((started) => (app = started))).rejects.toThrow(
        `ThingHealthIndicator(thing) has no setting or option "${key}". Its settings: "client"`,
      );
    });
  });
});

describe('isGlobal', () => {
  it.each([['false'], [0], [null], [{}]])('refuses %j, a value that is not a boolean', (value) => {
    const message = `HealthModule option "isGlobal" is `;
    expect(() => HealthModule.forRoot({ isGlobal: value as never })).toThrow(message);
    expect(() =>
      HealthModule.forRootAsync({ isGlobal: value as never, useFactory: () => ({}) }),
    ).toThrow(/; it must be true or false\.$/);
  });

  it.each([true, false])('takes %s', (isGlobal) => {
    expect(HealthModule.forRoot({ isGlobal }).global).toBe(isGlobal);
    expect(HealthModule.forRootAsync({ isGlobal, useFactory: () => ({}) }).global).toBe(isGlobal);
  });

  it('is global when not given', () => {
    expect(HealthModule.forRoot({}).global).toBe(true);
  });
});

import { describe, expect, it } from '@jest/globals';
import { DEFAULT_MODULE_OPTIONS } from '../core/health.constants.js';
import { checkGrpcJs, resolveHealthOptions, resolveIndicatorOptions } from './health.options.js';
import { InternalNetworkGuard } from '../transports/http/internal-network.guard.js';
import { DEFAULT_INTERNAL_NETWORKS } from '../core/network.policy.js';
import { PROBES } from '../core/probe.definitions.js';

describe('resolveHealthOptions', () => {
  it('applies every default when no option is given', () => {
    delete process.env.KUBERNETES_SERVICE_HOST;
    expect(resolveHealthOptions({})).toEqual({
      path: 'health',
      defaultTimeoutMs: 500,
      cacheTtlMs: 1000,
      identity: {},
      internalNetworks: DEFAULT_INTERNAL_NETWORKS,
      trustProxy: false,
      probes: PROBES,
      deniedStatus: 403,
      guard: InternalNetworkGuard,
      redact: [],
      shutdown: { signals: ['SIGTERM', 'SIGINT'], delayMs: 0, gracePeriodMs: 30_000 },
      probeTimeoutMs: 1000,
      startupBudgetMs: 30_000,
      slowCheckMs: 250,
      logger: undefined,
      refreshIntervalMs: undefined,
      metrics: false,
      openTelemetry: false,
      probeServer: false,
      grpc: false,
      statusPage: false,
      autoIndicators: false,
    });
    for (const nothing of [undefined, null]) {
      expect(() => resolveHealthOptions(nothing)).toThrow(
        `HealthModule got ${nothing} for its options: a forRootAsync() factory (or createHealthOptions()) must return the options object (a function with a block body needs "return"), or {} for every default.`,
      );
    }
  });

  it('waits 5 s before closing on a signal only inside Kubernetes', () => {
    const saved = process.env.KUBERNETES_SERVICE_HOST;
    try {
      process.env.KUBERNETES_SERVICE_HOST = '10.96.0.1';
      expect(resolveHealthOptions({}).shutdown).toMatchObject({ delayMs: 5000 });
      expect(resolveHealthOptions({ shutdown: { delayMs: 2000 } }).shutdown).toMatchObject({
        delayMs: 2000,
        signals: ['SIGTERM', 'SIGINT'],
      });
      delete process.env.KUBERNETES_SERVICE_HOST;
      expect(resolveHealthOptions({}).shutdown).toMatchObject({ delayMs: 0 });
      expect(resolveHealthOptions({ shutdown: false }).shutdown).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
      else process.env.KUBERNETES_SERVICE_HOST = saved;
    }
  });

  it('keeps the default timeout well inside the kubelet default of one second', () => {
    expect(DEFAULT_MODULE_OPTIONS.defaultTimeoutMs).toBeLessThanOrEqual(500);
  });

  it('keeps the identity fields that appear in every response', () => {
    const options = resolveHealthOptions({ version: '1.2.3', serviceId: 'orders', cacheTtlMs: 0 });
    expect(options.identity).toEqual({ version: '1.2.3', serviceId: 'orders' });
    expect(options.cacheTtlMs).toBe(0);
  });

  it('normalises slashes around the path and accepts nested and empty prefixes', () => {
    expect(resolveHealthOptions({ path: '/internal/health/' }).path).toBe('internal/health');
    expect(resolveHealthOptions({ path: '' }).path).toBe('');
    expect(resolveHealthOptions({ path: '/' }).path).toBe('');
    expect(resolveHealthOptions({ path: '.well-known/health' }).path).toBe('.well-known/health');
  });

  it.each([
    [{ path: 'health/:id' }, /"path" is "health\/:id"; it must be a route prefix/],
    [{ path: 42 }, /"path" is number 42/],
    [
      { defaultTimeoutMs: 0 },
      /"defaultTimeoutMs" is number 0; it must be an integer number of milliseconds from 1/,
    ],
    [{ defaultTimeoutMs: 1.5 }, /"defaultTimeoutMs" is number 1.5/],
    [{ defaultTimeoutMs: 3_000_000_000 }, /"defaultTimeoutMs"/],
    [
      { cacheTtlMs: -1 },
      /"cacheTtlMs" is number -1; it must be an integer number of milliseconds from 0 \(no caching\)/,
    ],
    [{ cacheTtlMs: '1000' }, /"cacheTtlMs" is "1000"/],
    [{ version: '' }, /"version" is ""; it must be a non-empty string/],
    [{ description: null }, /"description" is null/],
    [
      { shutdown: true },
      /"shutdown" is boolean true; it must be \{ signals\?, delayMs\?, gracePeriodMs\? \}, or false/,
    ],
    [
      { shutdown: { signals: ['SIGTERMM'] } },
      /"shutdown.signals\[0\]" is "SIGTERMM"; it must be a signal the process can handle/,
    ],
    [
      { shutdown: { signals: ['SIGTERM', 'SIGKILL'] } },
      /"shutdown.signals\[1\]" is "SIGKILL"; it must be a signal the process can handle, such as 'SIGTERM' or 'SIGINT' \(not SIGKILL or SIGSTOP\)/,
    ],
    [{ shutdown: { signals: ['SIGSTOP'] } }, /"shutdown.signals\[0\]" is "SIGSTOP"/],
    [{ shutdown: { signals: 'SIGTERM' } }, /"shutdown.signals" is "SIGTERM"; it must be an array/],
    [
      { shutdown: { delay: 5 } },
      /"shutdown" has no key "delay". Known keys: "signals", "delayMs", "gracePeriodMs"/,
    ],
    [{ shutdown: { delayMs: -1 } }, /"shutdown.delayMs" is number -1; it must be an integer/],
    [
      { access: { ready: 'private' } },
      /"access.ready" is "private"; it must be 'public', 'status' or 'internal'/,
    ],
    [
      { access: { readyz: 'public' } },
      /"access" has no key "readyz". Known keys: "live", "ready", "startup", "deep"/,
    ],
    [{ access: 'internal' }, /"access" is "internal"; it must be an object mapping "live"/],
    [
      { slowCheckMs: -3 },
      /"slowCheckMs" is number -3; it must be an integer number of milliseconds from 0 \(never warn\)/,
    ],
    [
      { internalNetworks: ['10.0.0.0/8', 7] },
      /"internalNetworks\[1\]" is number 7; it must be a string/,
    ],
    [{ redact: [/x/, 'password'] }, /"redact\[1\]" is "password"; it must be a RegExp or/],
    [{ metrics: { registry: {}, prefix: 'x' } }, /"metrics" has no key "prefix"/],
    [
      { controllerDecorators: [] },
      /"controllerDecorators" shapes the module when it is built: give it to HealthModule.forRootAsync\(\) itself/,
    ],
    [{ path: '../x' }, /"path" is "..\/x"; it must be a route prefix .* no "." or ".." segment/],
    [{ path: '.' }, /"path" is "."/],
    [{ path: 'a/./b' }, /"path" is "a\/.\/b"/],
    [{ path: 'a//b' }, /"path" is "a\/\/b"/],
    [{ probeTimeoutMs: 0 }, /"probeTimeoutMs" is number 0/],
    [
      { startupBudgetMs: 1.5 },
      /"startupBudgetMs" is number 1.5; it must be an integer number of milliseconds from 0 \(a failure is an error from the first\)/,
    ],
    [{ grpc: 'on' }, /"grpc" is "on"; it must be true, false, or \{ maxWatchStreams\? \}/],
    [
      { grpc: { maxWatchStreams: 0 } },
      /"grpc.maxWatchStreams" is number 0; it must be an integer from 1 to 1000000/,
    ],
    [{ grpc: { maxStreams: 5 } }, /"grpc" has no key "maxStreams". Known keys: "maxWatchStreams"/],
    [
      { probeServer: { port: 9000, grpcPort: 70_000 } },
      /"probeServer.grpcPort" is number 70000; it must be a port number from 1 to 65535 \(0: any free port\)/,
    ],
    [
      { probeServer: { port: 9000, grpcPort: 9000 } },
      /"probeServer.grpcPort" is number 9000; it must be a port other than probeServer.port \(9000\), such as 9001/,
    ],
    [
      { openTelemetry: 'otlp' },
      /"openTelemetry" is "otlp"; it must be true, false, or \{ meterProvider\?, prefix\? \}/,
    ],
    [
      { openTelemetry: { meterProvider: {} } },
      /"openTelemetry.meterProvider" is an object; it must be an OpenTelemetry MeterProvider \(an object with getMeter\(\)\)/,
    ],
    [
      { openTelemetry: { prefix: 'my app' } },
      /"openTelemetry.prefix" is "my app"; it must be a metric name prefix of up to 200 characters/,
    ],
    [{ openTelemetry: { prefix: 'orders.' } }, /"openTelemetry.prefix" is "orders."/],
    [{ openTelemetry: { prefix: '1st' } }, /"openTelemetry.prefix" is "1st"/],
    [{ openTelemetry: { prefix: 'x'.repeat(201) } }, /"openTelemetry.prefix" is "x+…"; it must be/],
    [{ openTelemetry: { registry: {} } }, /"openTelemetry" has no key "registry"/],
    [{ statusPage: 'yes' }, /"statusPage" is "yes"; it must be true, false, or \{ maxStreams\? \}/],
    [
      { statusPage: { maxStreams: 0 } },
      /"statusPage.maxStreams" is number 0; it must be an integer from 1 to 1000/,
    ],
    [
      { autoIndicators: 'yes' },
      /"autoIndicators" is "yes"; it must be true, false, or \{ probes\?, critical\?, exclude\? \}/,
    ],
    [
      { autoIndicators: { probes: { live: ['redis'] } } },
      /"autoIndicators.probes" has no key "live". Known keys: "ready", "startup"/,
    ],
    [
      { autoIndicators: { probes: { ready: ['redis:latency'] } } },
      /"autoIndicators.probes.ready\[0\]" is "redis:latency"; it must be a string of 1-64 letters/,
    ],
    [
      { autoIndicators: { include: ['redis'] } },
      /"autoIndicators" has no key "include". Known keys: "probes", "critical", "exclude"/,
    ],
  ])('rejects %j with a message naming the option and what is valid', (options, message) => {
    expect(() => resolveHealthOptions(options)).toThrow(message);
  });

  it('records on OpenTelemetry only when asked: the global provider and no prefix by default', () => {
    const meterProvider = { getMeter: () => ({}) };
    expect(resolveHealthOptions({ openTelemetry: false }).openTelemetry).toBe(false);
    expect(resolveHealthOptions({ openTelemetry: true }).openTelemetry).toEqual({ prefix: '' });
    expect(
      resolveHealthOptions({ openTelemetry: { meterProvider, prefix: 'shop.orders' } })
        .openTelemetry,
    ).toEqual({ meterProvider, prefix: 'shop.orders' });
  });

  it('serves gRPC only when asked, with a bound on Watch streams', () => {
    expect(resolveHealthOptions({ grpc: false }).grpc).toBe(false);
    expect(resolveHealthOptions({ grpc: true }).grpc).toEqual({ maxWatchStreams: 1000 });
    expect(resolveHealthOptions({ grpc: { maxWatchStreams: 50 } }).grpc).toEqual({
      maxWatchStreams: 50,
    });
  });

  it('serves the status page only when asked, with a bound on its streams', () => {
    expect(resolveHealthOptions({ statusPage: true }).statusPage).toEqual({ maxStreams: 10 });
    expect(resolveHealthOptions({ statusPage: { maxStreams: 3 } }).statusPage).toEqual({
      maxStreams: 3,
    });
  });

  it.each(['liveness', 'readiness'])(
    'rejects a group named %s while gRPC is on: the health service gives that name to a probe',
    (name) => {
      const groups = { [name]: { include: ['db'] } };
      const probe = name === 'liveness' ? 'live' : 'ready';
      expect(() => resolveHealthOptions({ grpc: true, groups })).toThrow(
        `Health group "${name}" takes a name the gRPC health service gives the ${probe} probe (HealthModule option "grpc" is on). Give the group another name.`,
      );
      const probeServer = { port: 9000, grpcPort: 9001 };
      expect(() => resolveHealthOptions({ probeServer, groups })).toThrow(
        `(HealthModule option "probeServer.grpcPort" is on)`,
      );
      expect(resolveHealthOptions({ groups }).probes.at(-1)?.name).toBe(name);
    },
  );

  it("serves gRPC on the probe server's port only when asked, with the same bound on Watch streams", () => {
    expect(resolveHealthOptions({ probeServer: { port: 9000 } }).probeServer).toEqual({
      port: 9000,
      host: '0.0.0.0',
      maxStallMs: 10_000,
      grpc: { maxWatchStreams: 1000 },
    });
    const probeServer = { port: 0, grpcPort: 0 };
    const resolved = resolveHealthOptions({ probeServer, grpc: { maxWatchStreams: 5 } });
    expect(resolved.probeServer).toMatchObject({ grpcPort: 0, grpc: { maxWatchStreams: 5 } });
  });

  it('stops start-up, saying what to install, when grpcPort is given without @grpc/grpc-js', () => {
    expect(() => checkGrpcJs((pkg) => pkg !== '@grpc/grpc-js')).toThrow(
      `HealthModule option "probeServer.grpcPort" serves grpc.health.v1 from the probe server's worker with @grpc/grpc-js, which is not installed. Install it: npm install @grpc/grpc-js`,
    );
    expect(() => checkGrpcJs(() => true)).not.toThrow();
  });

  it('makes no auto-found check unless asked, and gives every list when asked', () => {
    expect(resolveHealthOptions({ autoIndicators: false }).autoIndicators).toBe(false);
    const none = { ready: [], startup: [], critical: [], exclude: [] };
    expect(resolveHealthOptions({ autoIndicators: true }).autoIndicators).toEqual(none);
    const given = { probes: { ready: ['typeorm'] }, exclude: ['bullmq.emails'] };
    expect(resolveHealthOptions({ autoIndicators: given }).autoIndicators).toEqual({
      ...none,
      ready: ['typeorm'],
      exclude: ['bullmq.emails'],
    });
  });

  it('rejects an unknown option and lists the known ones', () => {
    expect(() => resolveHealthOptions({ cacheTTL: 5 })).toThrow(
      'HealthModule has no option "cacheTTL". Known options: "path", "defaultTimeoutMs", "cacheTtlMs"',
    );
  });

  it('rejects options that are not an object', () => {
    expect(() => resolveHealthOptions('health')).toThrow('HealthModule options must be an object');
  });
});

describe('resolveIndicatorOptions', () => {
  const module = resolveHealthOptions({ defaultTimeoutMs: 300, cacheTtlMs: 2000 });

  it('applies the decorator defaults and the module defaults', () => {
    const options = resolveIndicatorOptions('DbHealth', { name: 'db' }, module);
    expect(options).toEqual({
      name: 'db',
      critical: true,
      timeoutMs: 300,
      cacheTtlMs: 2000,
      probes: new Set(['ready']),
      measurement: 'responseTime',
      componentType: 'component',
      refreshIntervalMs: undefined,
      failureThreshold: 1,
    });
  });

  it('honours every option given', () => {
    const options = resolveIndicatorOptions(
      'DbHealth',
      {
        name: 'db',
        critical: false,
        timeoutMs: 50,
        cacheTtlMs: 0,
        probes: ['startup', 'deep'],
        measurement: 'connections',
        componentType: 'datastore',
      },
      module,
    );
    expect(options).toMatchObject({ critical: false, timeoutMs: 50, cacheTtlMs: 0 });
    expect([...options.probes]).toEqual(['startup', 'deep']);
  });

  it.each(['component', 'datastore', 'system', 'urn:example:queue', 'https://example.com/queue'])(
    'takes componentType %s',
    (componentType) => {
      const options = resolveIndicatorOptions('DbHealth', { name: 'db', componentType }, module);
      expect(options.componentType).toBe(componentType);
    },
  );

  it.each([
    [{}, /on DbHealth: "name" is undefined; it must be a string of 1-64 letters/],
    [{ name: 'my db' }, /"name" is "my db"/],
    [{ name: 'db:x' }, /"name" is "db:x"/],
    [{ name: 'db', critical: 'yes' }, /"critical" is "yes"; it must be true or false/],
    [{ name: 'db', timeoutMs: -5 }, /"timeoutMs" is number -5/],
    [
      { name: 'db', probes: ['live'] },
      /"probes\[0\]" is "live"; it must be one of 'startup', 'ready', 'deep'/,
    ],
    [
      { name: 'db', probes: [] },
      /"probes" is an array of 0 items; it must be a non-empty array of 'startup', 'ready', 'deep'/,
    ],
    [
      { name: 'db', timeout: 5 },
      /on DbHealth has no option "timeout". Known options: "name", "critical", "timeoutMs"/,
    ],
    [
      { name: 'db', componentType: 'data store' },
      /"componentType" is "data store"; it must be 'component', 'datastore', 'system', or a URI with a scheme/,
    ],
    [{ name: 'db', componentType: 'Datastore' }, /"componentType" is "Datastore"/],
    [{ name: 'db', componentType: 'urn:x y' }, /"componentType" is "urn:x y"/],
    [
      { name: 'process' },
      /"process" on DbHealth is reserved for the deep probe's process diagnostics/,
    ],
  ])('rejects %j naming the class, the option and what is valid', (raw, message) => {
    expect(() => resolveIndicatorOptions('DbHealth', raw, module)).toThrow(message);
  });
});

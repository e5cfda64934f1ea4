import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import {
  grpcServices,
  HEALTH_GRPC_PACKAGE,
  HEALTH_PROTO_PATH,
  probeOfService,
  servingStatus,
  ServingStatus,
} from './health.grpc.js';
import { groupDefinition, PROBES } from '../../core/probe.definitions.js';

const probes = [...PROBES, groupDefinition('payments', { include: ['stripe'] })];

describe('the gRPC health service, as data', () => {
  it('ships the standard proto, with Check, Watch and List in grpc.health.v1', () => {
    expect(existsSync(HEALTH_PROTO_PATH)).toBe(true);
    const proto = readFileSync(HEALTH_PROTO_PATH, 'utf8');
    expect(proto).toContain(`package ${HEALTH_GRPC_PACKAGE};`);
    for (const rpc of [
      'rpc Check(HealthCheckRequest) returns (HealthCheckResponse);',
      'rpc Watch(HealthCheckRequest) returns (stream HealthCheckResponse);',
      'rpc List(HealthListRequest) returns (HealthListResponse);',
    ]) {
      expect(proto).toContain(rpc);
    }
  });

  it('serves on pass and warn, and not on fail', () => {
    expect(servingStatus('pass')).toBe(ServingStatus.SERVING);
    expect(servingStatus('warn')).toBe(ServingStatus.SERVING);
    expect(servingStatus('fail')).toBe(ServingStatus.NOT_SERVING);
  });

  it('answers "" for readiness, each probe and group for itself, and the Kubernetes names', () => {
    const named = (service: string) => probeOfService({ service }, probes)?.name;
    expect(named('')).toBe('ready');
    for (const probe of probes) expect(named(probe.name)).toBe(probe.name);
    expect(named('liveness')).toBe('live');
    expect(named('readiness')).toBe('ready');
    // A name cut when it was read is none, whatever it begins with.
    expect(probeOfService({ service: 'ready', cut: true }, probes)).toBeUndefined();
  });

  it.each(['Ready', 'readyz', 'constructor', '__proto__', 'payments/stripe', ' '])(
    'knows no service "%s"',
    (name) => expect(probeOfService({ service: name }, probes)).toBeUndefined(),
  );

  it('lists "" and every probe and group, not the aliases', () => {
    expect(grpcServices(probes)).toEqual(['', 'live', 'ready', 'startup', 'deep', 'payments']);
    expect(probes.flatMap((probe) => probe.aliases).toSorted()).toEqual([
      '',
      'liveness',
      'readiness',
    ]);
  });
});

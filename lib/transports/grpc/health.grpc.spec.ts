import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import {
  GRPC_ALIASES,
  grpcServices,
  HEALTH_GRPC_PACKAGE,
  HEALTH_PROTO_PATH,
  probeOfService,
  serviceOf,
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
    expect(probeOfService('', probes)?.name).toBe('ready');
    for (const probe of probes) expect(probeOfService(probe.name, probes)).toBe(probe);
    expect(probeOfService('liveness', probes)?.name).toBe('live');
    expect(probeOfService('readiness', probes)?.name).toBe('ready');
  });

  it.each(['Ready', 'readyz', 'constructor', '__proto__', 'payments/stripe', ' '])(
    'knows no service "%s"',
    (name) => expect(probeOfService(name, probes)).toBeUndefined(),
  );

  it('lists "" and every probe and group, not the aliases', () => {
    expect(grpcServices(probes)).toEqual(['', 'live', 'ready', 'startup', 'deep', 'payments']);
    expect([...GRPC_ALIASES.keys()]).toEqual(['', 'liveness', 'readiness']);
  });

  it('reads a request without a service as ""', () => {
    expect(serviceOf({ service: 'live' })).toBe('live');
    expect(serviceOf({})).toBe('');
    expect(serviceOf(undefined)).toBe('');
    expect(serviceOf({ service: 7 })).toBe('');
  });
});

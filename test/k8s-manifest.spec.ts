import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { probeOfService } from '../lib/transports/grpc/health.grpc.js';
import { PROBES } from '../lib/core/probe.definitions.js';
import { loadConfig } from '../sample/src/app.config.js';

/** The sample's manifest must agree with the sample and with the library's defaults. */

interface Probe {
  httpGet: { path: string; port: string };
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  successThreshold?: number;
}
interface Container {
  command: string[];
  ports: { name: string; containerPort: number }[];
  env: { name: string; value: string }[];
  startupProbe: Probe;
  readinessProbe: Probe;
  livenessProbe: Probe;
}

const read = (file: string) =>
  readFileSync(new URL(`../sample/k8s/${file}`, import.meta.url), 'utf8');
const deployment = parse(read('deployment.yaml'));
const service = parse(read('service.yaml'));
const pod = deployment.spec.template.spec;
const container: Container = pod.containers[0];

/** The shutdown delay the library applies in Kubernetes, and the slowest request of the sample. */
const DELAY_MS = 5000;
const QUERY_TIMEOUT_MS = 2000;
/** The sample's startupBudgetMs. */
const STARTUP_BUDGET_MS = 60_000;
/** The longest indicator timeout of the sample (database: 300 ms; the default is 500 ms). */
const LONGEST_INDICATOR_TIMEOUT_MS = 500;

const env = (name: string) => container.env.find((e) => e.name === name)?.value;

describe('sample/k8s', () => {
  it('probes the sample’s routes on the probe server’s port, which the Service does not expose', () => {
    expect(container.startupProbe.httpGet.path).toBe('/health/startup');
    expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/health/live');
    for (const probe of [
      container.startupProbe,
      container.readinessProbe,
      container.livenessProbe,
    ]) {
      expect(probe.httpGet.port).toBe('probes');
    }
    const http = container.ports.find((p) => p.name === 'http')!;
    const probes = container.ports.find((p) => p.name === 'probes')!;
    expect(http.containerPort).toBe(Number(env('PORT')));
    expect(probes.containerPort).toBe(Number(env('PROBE_PORT')));
    expect(service.spec.ports.map((p: { targetPort: string }) => p.targetPort)).toEqual(['http']);
    expect(service.spec.selector).toEqual(deployment.spec.template.metadata.labels);
  });

  it('restarts a stuck pod, not a busy one: the stall budget fits inside liveness’ failures', () => {
    const maxStallMs = Number(env('MAX_STALL_MS'));
    const { periodSeconds, failureThreshold } = container.livenessProbe;
    // A pause shorter than maxStallMs (a long GC, a burst of work) never fails liveness...
    expect(maxStallMs).toBeGreaterThanOrEqual(5000);
    // ...and a loop stuck for good is restarted within a minute.
    expect(maxStallMs + periodSeconds * failureThreshold * 1000).toBeLessThanOrEqual(60_000);
  });

  it('gives the delay and the drain room inside terminationGracePeriodSeconds', () => {
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
      DELAY_MS + QUERY_TIMEOUT_MS + 5000,
    );
  });

  it('tells the app the startupProbe’s budget, so that the warm-up is not logged as an error', () => {
    const { periodSeconds, failureThreshold } = container.startupProbe;
    expect(periodSeconds * failureThreshold * 1000).toBe(STARTUP_BUDGET_MS);
  });

  it('withdraws a pod within the delay: readiness period below it', () => {
    expect(container.readinessProbe.periodSeconds * 1000).toBeLessThanOrEqual(DELAY_MS);
  });

  it('gives every probe more time than the slowest indicator', () => {
    for (const probe of [
      container.startupProbe,
      container.readinessProbe,
      container.livenessProbe,
    ]) {
      expect(probe.timeoutSeconds * 1000).toBeGreaterThan(LONGEST_INDICATOR_TIMEOUT_MS);
    }
  });

  it('keeps successThreshold at 1 where Kubernetes requires it, and runs node directly', () => {
    expect(container.livenessProbe.successThreshold ?? 1).toBe(1);
    expect(container.startupProbe.successThreshold ?? 1).toBe(1);
    expect(container.command).toEqual(['node', 'dist-sample/main.js']);
  });
});

/** A probe of the gRPC patch: its httpGet removed (null), a grpc handler instead. */
interface GrpcProbe extends Omit<Probe, 'httpGet'> {
  httpGet: null;
  grpc: { port: number; service?: string };
}
interface GrpcContainer {
  name: string;
  ports: { name: string; containerPort: number }[];
  env: { name: string; value: string }[];
  startupProbe: GrpcProbe;
  readinessProbe: GrpcProbe;
  livenessProbe: GrpcProbe;
}

/** What the gRPC patch must keep of each probe of deployment.yaml. */
const timings = ({ periodSeconds, timeoutSeconds, failureThreshold }: Omit<Probe, 'httpGet'>) => ({
  periodSeconds,
  timeoutSeconds,
  failureThreshold,
});

describe('sample/k8s/grpc-probes.yaml', () => {
  const patch = parse(read('grpc-probes.yaml'));
  const grpc: GrpcContainer = patch.spec.template.spec.containers[0];
  const probes = {
    startup: grpc.startupProbe,
    ready: grpc.readinessProbe,
    live: grpc.livenessProbe,
  };

  it('patches the sample’s container, swapping each httpGet for a grpc probe on the probe server’s gRPC port', () => {
    expect(grpc.name).toBe(pod.containers[0].name);
    const port = (name: string) => Number(grpc.env.find((e) => e.name === name)!.value);
    expect(grpc.ports).toEqual([
      { name: 'grpc', containerPort: port('GRPC_PORT') },
      { name: 'grpc-probes', containerPort: port('PROBE_GRPC_PORT') },
    ]);
    // Not the app's own gRPC port: its health service waits on the app's event loop.
    expect(port('PROBE_GRPC_PORT')).not.toBe(port('GRPC_PORT'));
    for (const probe of Object.values(probes)) {
      expect(probe.httpGet).toBeNull();
      expect(probe.grpc.port).toBe(port('PROBE_GRPC_PORT'));
    }
    expect(service.spec.ports.map((p: { targetPort: string }) => p.targetPort)).not.toContain(
      'grpc-probes',
    );
  });

  it('runs the sample with the ports it declares', () => {
    const config = loadConfig(Object.fromEntries(grpc.env.map((e) => [e.name, e.value])));
    expect([config.grpcPort, config.probeGrpcPort]).toEqual(grpc.ports.map((p) => p.containerPort));
  });

  it('names services the health service answers, each for its own probe', () => {
    for (const [name, probe] of Object.entries(probes)) {
      expect(probeOfService({ service: probe.grpc.service ?? '' }, PROBES)?.name).toBe(name);
    }
  });

  it('keeps the timings of deployment.yaml', () => {
    expect(timings(grpc.startupProbe)).toEqual(timings(container.startupProbe));
    expect(timings(grpc.readinessProbe)).toEqual(timings(container.readinessProbe));
    expect(timings(grpc.livenessProbe)).toEqual(timings(container.livenessProbe));
  });
});

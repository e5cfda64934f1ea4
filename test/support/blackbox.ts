import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type OwnServer } from './servers.js';

/**
 * Prometheus' blackbox exporter (Debian package prometheus-blackbox-exporter), an instance of the
 * test's own on a free port with its own configuration: its `grpc` prober speaks grpc.health.v1.
 */

/** Modules of the configuration: the server's overall health ("") and liveness. */
export const BLACKBOX_CONFIG = `modules:
  grpc_health:
    prober: grpc
    timeout: 3s
    grpc:
      tls: false
      service: ""
      preferred_ip_protocol: ip4
  grpc_liveness:
    prober: grpc
    timeout: 3s
    grpc:
      tls: false
      service: liveness
      preferred_ip_protocol: ip4
`;

export interface BlackboxExporter extends OwnServer {
  /** `GET /probe?module=&target=`: `probe_success` and the serving status it saw. */
  probe(module: string, target: string): Promise<{ success: number; serving?: string }>;
}

export async function startBlackboxExporter(): Promise<BlackboxExporter> {
  const dir = mkdtempSync(join(tmpdir(), 'nestjs-probes-blackbox-'));
  const config = join(dir, 'blackbox.yml');
  writeFileSync(config, BLACKBOX_CONFIG);
  const port = await freePort();
  const child = spawn(
    'prometheus-blackbox-exporter',
    [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 5000;
  for (;;) {
    const healthy = await fetch(`${base}/-/healthy`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`the blackbox exporter did not start on port ${port}:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    async probe(module, target) {
      const query = new URLSearchParams({ module, target });
      const text = await (await fetch(`${base}/probe?${query}`)).text();
      const success = Number(/^probe_success (\d+)$/m.exec(text)?.[1]);
      const serving = /^probe_grpc_healthcheck_response\{serving_status="(\w+)"\} 1$/m.exec(
        text,
      )?.[1];
      return { success, serving };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

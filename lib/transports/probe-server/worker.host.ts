import type { LoggerService } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { messages } from '../../core/health.messages.js';
import type { ProbeServerConfig, ToMainThread, ToProbeServer } from './probe-server.protocol.js';

/** A worker that dies is started again after this, doubling while it keeps dying, up to 5 s. */
const RESTART_MS = { first: 100, max: 5000 };
/** How long stopping waits for the worker to end its gRPC Watch streams, at most. */
const CLOSE_MS = 1500;
const WORKER = fileURLToPath(new URL('./probe-server.worker.js', import.meta.url));

/** What the host asks of the main thread's side. */
export interface WorkerHostCallbacks {
  /** Everything a (new) worker starts with; `port` and `grpcPort` are those it listens on. */
  config(port: number, grpcPort?: number): ProbeServerConfig;
  /** A worker started again after dying: what it must be told again. */
  restarted(): void;
  /** The worker asks for the metrics' exposition (`id` to answer with). */
  metrics(id: number): void;
}

/**
 * @internal The probe server's worker thread: started, told things, started again if it dies
 * (with the same port), and stopped. It never keeps the process alive once it listens (unref'd):
 * a start-up that fails ends the process as it would without it.
 */
export class WorkerHost {
  private worker?: Worker;
  private closing = false;
  private restartDelay = RESTART_MS.first;
  /** The port it listens on (the option's, or the free one it was given for `0`). */
  port?: number;
  /** Its gRPC port, likewise, when it has one. */
  grpcPort?: number;

  constructor(
    private readonly server: { port: number; host: string; grpcPort?: number },
    private readonly logger: LoggerService,
    private readonly callbacks: WorkerHostCallbacks,
  ) {}

  /** Starts the worker and resolves once it listens; rejects with what to change. */
  async start(): Promise<number> {
    this.port = await this.spawn();
    return this.port;
  }

  post(message: ToProbeServer): void {
    this.worker?.postMessage(message);
  }

  /** Stops it for good, once it has ended its gRPC Watch streams. */
  async stop(): Promise<void> {
    this.closing = true;
    const worker = this.worker;
    this.worker = undefined;
    if (worker === undefined) return;
    if (this.grpcPort !== undefined && worker.threadId !== -1) await this.close(worker);
    await worker.terminate();
  }

  /** Asks the worker to end its Watch streams, and waits until it has (or for `CLOSE_MS`). */
  private async close(worker: Worker): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((closed) => {
        worker.on('message', (message: ToMainThread) => message.type === 'closed' && closed());
        worker.on('exit', () => closed());
        const close: ToProbeServer = { type: 'close' };
        worker.postMessage(close, []);
      }),
      new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_MS))),
    ]);
    clearTimeout(timer);
  }

  private spawn(): Promise<number> {
    if (!existsSync(WORKER)) {
      return Promise.reject(new Error(messages.probeServerScriptMissing(WORKER)));
    }
    const config = this.callbacks.config(
      this.port ?? this.server.port,
      this.grpcPort ?? this.server.grpcPort,
    );
    const worker = new Worker(WORKER, { workerData: config });
    this.worker = worker;
    return new Promise<number>((resolve, reject) => {
      worker.on('message', (message: ToMainThread) => {
        if (message.type === 'listening') {
          this.restartDelay = RESTART_MS.first;
          this.grpcPort = message.grpcPort;
          // Held while it starts (start-up awaits it); from then on, the app's own handles decide.
          worker.unref();
          resolve(message.port);
        } else if (message.type === 'error') {
          const { code, grpc } = message;
          const server = grpc ? { ...this.server, port: this.server.grpcPort! } : this.server;
          const option = grpc ? 'grpcPort' : 'port';
          reject(
            new Error(messages.probeServerCannotListen(server, code, message.message, option)),
          );
          void worker.terminate();
        } else if (message.type === 'metrics') {
          this.callbacks.metrics(message.id);
        }
      });
      worker.on('error', (error) => reject(error));
      worker.on('exit', (code) => {
        reject(new Error(messages.probeServerExited(code)));
        if (this.worker === worker) this.worker = undefined;
        if (!this.closing) this.restart(code);
      });
    });
  }

  /** A worker that died is started again, and told again what it had been told. */
  private restart(code: number): void {
    this.logger.error(messages.probeServerDied(code, this.restartDelay));
    const timer = setTimeout(() => {
      if (this.closing) return;
      this.spawn().then(
        () => this.callbacks.restarted(),
        (error: unknown) => this.logger.error(String((error as Error)?.message ?? error)),
      );
    }, this.restartDelay);
    timer.unref();
    this.restartDelay = Math.min(this.restartDelay * 2, RESTART_MS.max);
  }
}

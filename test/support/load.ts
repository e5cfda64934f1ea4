import { Agent, request } from 'node:http';

/** One ordinary request: when it started and ended, and how. */
export interface LoadRequest {
  startedAt: number;
  endedAt: number;
  status?: number;
  error?: string;
}

/**
 * Keeps ordinary requests flowing, as clients behind a load balancer do: `concurrency` loops,
 * each sending the next request as soon as the last one is answered, over keep-alive connections.
 */
export class LoadGenerator {
  readonly requests: LoadRequest[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly agent = new Agent({ keepAlive: true });

  constructor(
    private readonly url: string,
    private readonly concurrency = 4,
  ) {}

  start(): this {
    this.running = true;
    this.loops = Array.from({ length: this.concurrency }, () => this.loop());
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.agent.destroy();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const outcome = await this.once();
      this.requests.push(outcome);
      // A refused connection answers at once: pace the retries instead of spinning.
      if (outcome.error) await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private once(): Promise<LoadRequest> {
    const startedAt = Date.now();
    return new Promise((resolve) => {
      const req = request(this.url, { agent: this.agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ startedAt, endedAt: Date.now(), status: res.statusCode }));
        res.on('error', (error) =>
          resolve({ startedAt, endedAt: Date.now(), error: error.message }),
        );
      });
      req.setTimeout(5000, () => req.destroy(new Error('timeout')));
      req.on('error', (error: NodeJS.ErrnoException) =>
        resolve({ startedAt, endedAt: Date.now(), error: error.code ?? error.message }),
      );
      req.end();
    });
  }
}

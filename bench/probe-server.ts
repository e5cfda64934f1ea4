/**
 * Scenarios 9-12 of the benchmark (`node probe-server.js [--quick]`, one JSON line): the probe
 * server against the app's own port and @nestjs/terminus, each server in a process of its own
 * (`busy-server.js`), loaded by autocannon over loopback.
 *  9. probes under saturation: a business route taking 20 ms of CPU, 20 connections; the latency
 *     of `live` and `ready` probes, one at a time on new connections, as the kubelet sends them,
 *     and how many answered within the kubelet's 1 s timeout (lightship too: its probe server has
 *     a port of its own, on the app's event loop);
 * 10. a stall: the event loop blocked for 6 s with maxStallMs 2000: when live fails, when it
 *     passes again;
 * 11. the cost of a probe: `ready` on the probe server against a raw node:http server;
 * 12. the worker's cost: resident memory and start-up time, with and without the probe server.
 */
import autocannon from 'autocannon';
import { request } from 'node:http';
import {
  measureStall,
  median,
  percentiles,
  round,
  sleep,
  start,
  stop,
  type Started,
} from './busy-process.js';

const quick = process.argv.includes('--quick');
const LOAD_S = quick ? 3 : 8;
const RUNS = quick ? 1 : 5;

/** One GET on a new connection, as the kubelet sends it: its status and latency (ms). */
function probe(port: number, path: string): Promise<{ status: number; ms: number }> {
  const sent = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - sent }));
    });
    req.setTimeout(10_000, () => req.destroy());
    req.on('error', () => resolve({ status: 0, ms: performance.now() - sent }));
    req.end();
  });
}

/** Latencies of probes, and how many answered within the kubelet's timeout (1 s). */
type Latencies = ReturnType<typeof percentiles> & { withinTimeout: number };

/** 9. Probes while 20 connections keep a 20 ms-of-CPU route busy. */
async function saturation() {
  const health = '/health';
  const targets = [
    { id: 'appPort', env: { BUSY_SERVER: 'probes' }, port: (s: Started) => s.port, at: health },
    {
      id: 'probeServer',
      env: { BUSY_SERVER: 'probes' },
      port: (s: Started) => s.probePort!,
      at: health,
    },
    { id: 'terminus', env: { BUSY_SERVER: 'terminus' }, port: (s: Started) => s.port, at: health },
    {
      id: 'lightship',
      env: { BUSY_SERVER: 'lightship' },
      port: (s: Started) => s.probePort!,
      at: '',
    },
  ];
  const results: Record<string, Record<string, Latencies>> = {};
  for (const target of targets) {
    const server = await start(target.env);
    try {
      const load = autocannon({
        url: `http://127.0.0.1:${server.port}/work?cpuMs=20`,
        connections: 20,
        duration: LOAD_S,
      });
      await sleep(500);
      // A probe of each every 100 ms, each on its own connection and none waiting for another,
      // as independent kubelet probes and load balancer checks arrive.
      const sent: Record<string, Promise<{ status: number; ms: number }>[]> = {
        live: [],
        ready: [],
      };
      const until = performance.now() + (LOAD_S - 1) * 1000;
      while (performance.now() < until) {
        for (const path of ['live', 'ready']) {
          sent[path].push(probe(target.port(server), `${target.at}/${path}`));
        }
        await sleep(100);
      }
      await load;
      const latencies = async (path: string) => {
        const answers = await Promise.all(sent[path]);
        const taken = answers.map(({ status, ms }) => (status === 200 ? ms : 10_000));
        return {
          ...percentiles(taken),
          withinTimeout: taken.filter((value) => value <= 1000).length,
        };
      };
      results[target.id] = { live: await latencies('live'), ready: await latencies('ready') };
      process.stderr.write('.');
    } finally {
      await stop(server);
    }
  }
  return results;
}

/** 10. The event loop blocked for 6 s, maxStallMs 2000: when live fails and passes again. */
async function stall() {
  const server = await start({ BUSY_SERVER: 'probes', MAX_STALL_MS: '2000' });
  try {
    await sleep(500);
    return await measureStall(server, 2000, async () => {
      const { status } = await probe(server.probePort!, '/health/live');
      return status === 200 ? true : status === 503 ? false : undefined;
    });
  } finally {
    await stop(server);
  }
}

async function throughput(port: number, path: string): Promise<number> {
  const url = `http://127.0.0.1:${port}${path}`;
  await autocannon({ url, connections: 10, duration: 1 });
  const result = await autocannon({ url, connections: 10, duration: quick ? 2 : 5 });
  return Math.round(result.requests.average);
}

/** 11. `ready` on the probe server against a raw node:http server answering a constant body. */
async function cost() {
  const probeRps: number[] = [];
  const rawRps: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const probes = await start({ BUSY_SERVER: 'probes' });
    try {
      probeRps.push(await throughput(probes.probePort!, '/health/ready'));
    } finally {
      await stop(probes);
    }
    const raw = await start({ BUSY_SERVER: 'raw' });
    try {
      rawRps.push(await throughput(raw.port, '/'));
    } finally {
      await stop(raw);
    }
    process.stderr.write('.');
  }
  // The median of the ratios of each pair, measured back to back: the machine's drift cancels out.
  const ratios = probeRps.map((rps, i) => rps / rawRps[i]);
  return {
    probeServerRps: median(probeRps),
    rawRps: median(rawRps),
    ratio: Math.round(median(ratios) * 100) / 100,
  };
}

/** Resident memory and start-up time of the busy app, the median of a few runs. */
async function measure(probeServer: 'on' | 'off') {
  const rss: number[] = [];
  const startup: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const server = await start({ BUSY_SERVER: 'probes', PROBE_SERVER: probeServer });
    try {
      await sleep(1000);
      const body = await new Promise<string>((resolve) => {
        request({ host: '127.0.0.1', port: server.port, path: '/rss' }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve(text));
        }).end();
      });
      rss.push((JSON.parse(body) as { rss: number }).rss);
      startup.push(server.startupMs!);
    } finally {
      await stop(server);
    }
  }
  return { rssBytes: median(rss), startupMs: median(startup) };
}

/** 12. Resident memory and start-up time of the same app with and without the probe server. */
async function workerCost() {
  const without = await measure('off');
  const withWorker = await measure('on');
  return {
    without,
    with: withWorker,
    addedRssMB: Math.round(((withWorker.rssBytes - without.rssBytes) / 1024 / 1024) * 10) / 10,
    addedStartupMs: round(withWorker.startupMs - without.startupMs),
  };
}

/** `--only=cost,stall`: some scenarios alone, to look at one while working on it. */
const only = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const scenarios = { saturation, stall, cost, worker: workerCost };
const results: Record<string, unknown> = {};
for (const [name, run] of Object.entries(scenarios)) {
  if (!only || only.includes(name)) results[name] = await run();
}
console.log(JSON.stringify(results));
process.exit(0);

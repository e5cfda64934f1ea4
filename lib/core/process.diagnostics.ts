import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { DIAGNOSTICS_COMPONENT } from './health.constants.js';
import type { CheckReport } from '../interfaces/health-check.interface.js';

const RESOLUTION_MS = 20;
const key = (measurement: string) => `${DIAGNOSTICS_COMPONENT}:${measurement}`;
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * @internal The deep probe's process diagnostics: uptime, memory, event-loop delay and CPU.
 * Delay and CPU are measured over the interval since the previous deep probe.
 */
@Injectable()
export class ProcessDiagnostics implements OnModuleInit, OnModuleDestroy {
  private histogram?: IntervalHistogram;
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();

  onModuleInit(): void {
    this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.histogram.enable();
  }

  onModuleDestroy(): void {
    this.histogram?.disable();
  }

  /** Reads the diagnostics and starts a new measuring interval. */
  read(): Record<string, CheckReport[]> {
    const time = new Date().toISOString();
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage(this.lastCpu);
    const now = performance.now();
    const elapsedMicros = Math.max((now - this.lastAt) * 1000, 1);
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    // The histogram counts the sampling period itself: an idle loop reads one resolution.
    const rawP99 = this.histogram && this.histogram.count > 0 ? this.histogram.percentile(99) : 0;
    const delayP99 = Math.max(rawP99 - RESOLUTION_MS * 1e6, 0);
    this.histogram?.reset();
    const entry = (observedValue: number, observedUnit: string): CheckReport[] => [
      {
        componentId: DIAGNOSTICS_COMPONENT,
        componentType: 'system',
        status: 'pass',
        observedValue,
        observedUnit,
        time,
      },
    ];
    return {
      [key('uptime')]: entry(round(process.uptime()), 's'),
      [key('heapUsed')]: entry(memory.heapUsed, 'bytes'),
      [key('rss')]: entry(memory.rss, 'bytes'),
      [key('eventLoopDelayP99')]: entry(round(delayP99 / 1e6), 'ms'),
      [key('cpuUtilization')]: entry(
        round(((cpu.user + cpu.system) / elapsedMicros) * 100),
        'percent',
      ),
    };
  }
}

import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { IndicatorProbe } from './interfaces/health-check.interface.js';
import type { IndicatorRunner } from './indicator.runner.js';

/** @internal Holds the application's indicators, by name and by probe, once discovered. */
@Injectable()
export class IndicatorRegistry implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly byName = new Map<string, IndicatorRunner>();
  private readonly byProbe = new Map<IndicatorProbe, IndicatorRunner[]>([
    ['startup', []],
    ['ready', []],
    ['deep', []],
  ]);

  add(runner: IndicatorRunner): void {
    this.byName.set(runner.name, runner);
    for (const probe of ['startup', 'ready'] as const) {
      if (runner.options.probes.has(probe)) this.byProbe.get(probe)!.push(runner);
    }
    // The deep probe runs every indicator, whatever its probes.
    this.byProbe.get('deep')!.push(runner);
  }

  get(name: string): IndicatorRunner | undefined {
    return this.byName.get(name);
  }

  /** The indicators of a probe, in discovery order. */
  forProbe(probe: IndicatorProbe): readonly IndicatorRunner[] {
    return this.byProbe.get(probe)!;
  }

  get size(): number {
    return this.byName.size;
  }

  /** Starts the background runs once the application has bootstrapped. */
  onApplicationBootstrap(): void {
    for (const runner of this.byName.values()) runner.start();
  }

  /** Background timers stop at shutdown, after the delay (this runs with the other hooks). */
  onModuleDestroy(): void {
    for (const runner of this.byName.values()) runner.stop();
  }
}

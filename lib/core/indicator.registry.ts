import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { RESOLVED_HEALTH_OPTIONS } from './health.constants.js';
import { messages } from './health.messages.js';
import type { ResolvedHealthOptions } from '../options/health.options.js';
import type { IndicatorRunner } from './indicator.runner.js';
import type { ProbeDefinition } from './probe.definitions.js';

/**
 * @internal Holds the application's indicators once discovered, and the probes' table: which
 * checks each probe and group runs, selected once at start-up.
 */
@Injectable()
export class IndicatorRegistry implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly byName = new Map<string, IndicatorRunner>();
  private readonly byProbe = new Map<string, readonly IndicatorRunner[]>();
  private readonly definitions = new Map<string, ProbeDefinition>();

  constructor(@Inject(RESOLVED_HEALTH_OPTIONS) options: ResolvedHealthOptions) {
    for (const definition of options.probes) this.definitions.set(definition.name, definition);
  }

  add(runner: IndicatorRunner): void {
    this.byName.set(runner.name, runner);
  }

  /**
   * Selects the checks of every probe and group, in discovery order; a group that names a check
   * the application does not have stops start-up. Called once every indicator is known.
   */
  select(): void {
    for (const definition of this.definitions.values()) {
      const runners = this.all.filter((runner) => definition.selects(runner.options));
      this.assertIncluded(definition);
      this.byProbe.set(definition.name, Object.freeze(runners));
    }
  }

  private assertIncluded(group: ProbeDefinition): void {
    const missing = group.include?.find((name) => !this.byName.has(name));
    if (missing === undefined) return;
    throw new Error(messages.unknownGroupCheck(group.name, missing, [...this.byName.keys()]));
  }

  get(name: string): IndicatorRunner | undefined {
    return this.byName.get(name);
  }

  /** Every indicator, in discovery order. */
  get all(): readonly IndicatorRunner[] {
    return [...this.byName.values()];
  }

  /** A probe or group by name. */
  probe(name: string): ProbeDefinition | undefined {
    return this.definitions.get(name);
  }

  /** Every probe and group, the probes first. */
  get probes(): readonly ProbeDefinition[] {
    return [...this.definitions.values()];
  }

  /** The checks a probe or group runs, in discovery order. */
  runnersOf(definition: ProbeDefinition): readonly IndicatorRunner[] {
    return this.byProbe.get(definition.name) ?? [];
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

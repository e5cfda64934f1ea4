import {
  Inject,
  Injectable,
  Optional,
  type LoggerService,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { HealthIndicator } from '../decorators/health-indicator.decorator.js';
import { HEALTH_LOGGER, RESOLVED_HEALTH_OPTIONS } from './health.constants.js';
import { messages } from './health.messages.js';
import { resolveIndicatorOptions } from './indicator-options.js';
import type { ResolvedHealthOptions } from './resolved-options.js';
import type { HealthCheck } from '../interfaces/health-check.interface.js';
import { IndicatorRegistry } from './indicator.registry.js';
import { HealthEvents } from './health.events.js';
import { IndicatorRunner } from './indicator.runner.js';
import { INDICATOR_SOURCE, type IndicatorSource } from './indicator.source.js';
import { Redactor } from './redactor.js';

/**
 * @internal Finds every `@HealthIndicator()` provider once, at start-up, validates it and hands it
 * to the registry. Any mistake stops start-up with a message that says what to change.
 */
@Injectable()
export class IndicatorExplorer implements OnModuleInit {
  constructor(
    @Inject(HEALTH_LOGGER) private readonly logger: LoggerService,
    private readonly discovery: DiscoveryService,
    private readonly registry: IndicatorRegistry,
    @Inject(RESOLVED_HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
    private readonly redactor: Redactor,
    private readonly events: HealthEvents,
    @Optional() @Inject(INDICATOR_SOURCE) private readonly source?: IndicatorSource,
  ) {}

  onModuleInit(): void {
    const owners = new Map<string, object>();
    for (const wrapper of this.indicatorWrappers()) {
      this.add(this.toRunner(wrapper), wrapper.instance as object, owners);
    }
    // Before the probes select their checks: every transport then reads a complete table.
    for (const found of this.source?.indicators(owners) ?? []) {
      const resolved = resolveIndicatorOptions(found.label, found.options, this.options);
      const options = { ...resolved, autoDiscovered: true };
      const runner = new IndicatorRunner(options, found.check, this.redactor, this.events);
      this.add(runner, found.check, owners);
    }
    this.registry.select();
    this.logger.log(`${this.registry.size} health indicator(s) discovered`);
    this.warnAboutSettings();
  }

  private add(runner: IndicatorRunner, instance: object, owners: Map<string, object>): void {
    const owner = owners.get(runner.name);
    if (owner !== undefined) {
      const [first, second] = [owner.constructor.name, instance.constructor.name];
      const same = owner.constructor === instance.constructor;
      throw new Error(messages.duplicateName(runner.name, first, second, same));
    }
    owners.set(runner.name, instance);
    this.registry.add(runner);
  }

  /** Settings that start but cannot work: said once, at start-up. */
  private warnAboutSettings(): void {
    const { probeTimeoutMs, shutdown } = this.options;
    for (const runner of this.registry.all) {
      const { name, timeoutMs } = runner.options;
      if (timeoutMs >= probeTimeoutMs) {
        this.logger.warn(messages.timeoutExceedsProbe(name, timeoutMs, probeTimeoutMs));
      }
    }
    if (shutdown && shutdown.gracePeriodMs > 0 && shutdown.delayMs >= shutdown.gracePeriodMs) {
      this.logger.warn(messages.delayExceedsGrace(shutdown.delayMs, shutdown.gracePeriodMs));
    }
    for (const pattern of this.redactor.unsafeRules()) {
      this.logger.warn(messages.unsafeRedactionRule(String(pattern)));
    }
  }

  /**
   * The decorated providers. Nest 12 indexes them by decorator; Nest 11 indexes a factory
   * provider before its factory has run (so before its class is known), which misses every
   * `register()`ed indicator: those are looked up among the factory providers as well.
   */
  private indicatorWrappers(): InstanceWrapper[] {
    const found = new Map<string, InstanceWrapper>();
    for (const wrapper of this.discovery.getProviders({ metadataKey: HealthIndicator.KEY })) {
      found.set(wrapper.id, wrapper);
    }
    for (const wrapper of this.discovery.getProviders()) {
      if (found.has(wrapper.id) || wrapper.isAlias || !wrapper.inject) continue;
      if (typeof (wrapper.instance as object | null | undefined)?.constructor !== 'function') {
        continue;
      }
      if (this.discovery.getMetadataByDecorator(HealthIndicator, wrapper) !== undefined) {
        found.set(wrapper.id, wrapper);
      }
    }
    return [...found.values()];
  }

  private toRunner(wrapper: InstanceWrapper): IndicatorRunner {
    const className = this.className(wrapper);
    if (wrapper.isTransient) throw new Error(messages.notSingleton(className, 'transient'));
    if (!wrapper.isDependencyTreeStatic()) {
      throw new Error(
        messages.notSingleton(className, 'request-scoped (itself or through a dependency)'),
      );
    }
    const instance = wrapper.instance as Partial<HealthCheck> | undefined;
    if (typeof instance?.check !== 'function') throw new Error(messages.missingCheck(className));
    const raw = this.discovery.getMetadataByDecorator(HealthIndicator, wrapper);
    const options = resolveIndicatorOptions(className, raw, this.options);
    return new IndicatorRunner(options, instance as HealthCheck, this.redactor, this.events);
  }

  private className(wrapper: InstanceWrapper): string {
    const instance = wrapper.instance as object | undefined;
    return instance?.constructor?.name || wrapper.name?.toString() || 'an indicator';
  }
}

import { ConfigurableModuleBuilder, type Provider } from '@nestjs/common';
import { HEALTH_CONTROLLER_CLASS } from './core/health.constants.js';
import { createHealthController } from './transports/http/health.controller.js';
import { defineProbeRoutes } from './transports/http/probe.routes.js';
import { messages } from './core/health.messages.js';
import { MODULE_OPTION_KEYS } from './options/health.options.js';
import type {
  HealthModuleExtras,
  HealthModuleOptions,
} from './interfaces/health-module-options.interface.js';
import { arrayOf, is } from './core/option.rules.js';
import { isGroupName, PROBES } from './core/probe.definitions.js';

const decoratorsRule = arrayOf(
  is((d) => typeof d === 'function', 'a class decorator'),
  'an array of class decorators, such as [Public(), SkipThrottle()]',
);
const globalRule = is((v) => typeof v === 'boolean', 'true or false');

/**
 * `forRoot`/`forRootAsync` and the options token. Each definition gets a controller class of its
 * own, complete when it is built, before any application reads it: with its routes (the probes',
 * and those of health groups when there can be any) and the `controllerDecorators`, so that a
 * guard or interceptor class given there is registered by Nest's scanner like any other enhancer.
 * Nothing of it depends on an application: the route prefix is set per application, as a module
 * path, when the options are resolved.
 */
export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: HEALTH_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<HealthModuleOptions>({ moduleName: 'Health' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createHealthOptions')
  .setExtras<HealthModuleExtras>(
    { isGlobal: true, controllerDecorators: [] },
    (definition, extras) => {
      const { isGlobal, controllerDecorators } = checkExtras(extras);
      const controller = createHealthController();
      const given = givenOptions(definition.providers);
      const groups = given && groupsOf(given);
      const routes = [
        ...PROBES,
        ...(groups ?? []).map((name) => ({ name, answersPerCheck: true })),
      ];
      defineProbeRoutes(controller, routes, {
        anyGroup: groups === undefined,
        // A factory's options may turn the page on: its routes answer 404 while they do not.
        statusPage: given === undefined || Boolean(given.statusPage),
      });
      for (const decorate of controllerDecorators ?? []) decorate(controller);
      return {
        ...definition,
        global: isGlobal,
        controllers: [controller],
        providers: [
          ...(definition.providers ?? []),
          { provide: HEALTH_CONTROLLER_CLASS, useValue: controller },
        ],
      };
    },
  )
  .build();

/**
 * The `forRoot()` options a definition was built with; `undefined` under `forRootAsync()`, whose
 * options an application resolves later: any group name is routed then, and each application
 * serves its own groups.
 */
function givenOptions(
  providers: readonly Provider[] = [],
): Partial<HealthModuleOptions> | undefined {
  const given = providers.find(
    (provider) =>
      typeof provider === 'object' &&
      provider.provide === HEALTH_MODULE_OPTIONS &&
      'useValue' in provider,
  ) as { useValue?: HealthModuleOptions } | undefined;
  if (given === undefined) return undefined;
  return typeof given.useValue === 'object' && given.useValue !== null ? given.useValue : {};
}

/** The names of the health groups of `forRoot()` options (those start-up will refuse left out). */
function groupsOf(given: Partial<HealthModuleOptions>): string[] {
  const groups = given.groups;
  if (typeof groups !== 'object' || groups === null) return [];
  return Object.keys(groups).filter(isGroupName);
}

/**
 * The options that shape the module (`isGlobal`, `controllerDecorators`), which Nest takes out of
 * the options before they reach the validation: checked here, with what Nest's copy of the options
 * would lose.
 */
function checkExtras(extras: HealthModuleExtras): Required<HealthModuleExtras> {
  // Nest copies the options key by key: "__proto__" from JSON would become their prototype, unseen.
  if (Object.hasOwn(extras, '__proto__')) {
    const problem = {
      kind: 'unknown',
      at: '',
      key: '__proto__',
      known: MODULE_OPTION_KEYS,
    } as const;
    throw new Error(messages.moduleOptionProblem(problem));
  }
  const { isGlobal = true, controllerDecorators = [] } = extras;
  const problem =
    globalRule(isGlobal, 'isGlobal') ??
    decoratorsRule(controllerDecorators, 'controllerDecorators');
  if (problem) throw new Error(messages.moduleOptionProblem(problem));
  return { isGlobal, controllerDecorators };
}

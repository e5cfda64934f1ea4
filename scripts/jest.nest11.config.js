/**
 * The jest configuration, with Nest 11 (from `.nest11/`, see scripts/test-nest11.mjs) in place of
 * the Nest 12 of the main install: every import of @nestjs/{common,core,platform-*,testing,microservices},
 * deep paths included, from the tests, the library and Nest itself, resolves there.
 */
import base from '../jest.config.js';

export const NEST11_PACKAGES = [
  'common',
  'core',
  'platform-express',
  'platform-fastify',
  'testing',
  'microservices',
];

export default {
  ...base,
  rootDir: '..',
  moduleNameMapper: {
    [`^@nestjs/(${NEST11_PACKAGES.join('|')})((?:/.*)?)$`]:
      '<rootDir>/.nest11/node_modules/@nestjs/$1$2',
    ...base.moduleNameMapper,
  },
  setupFiles: [...(base.setupFiles ?? []), '<rootDir>/scripts/nest11.setup.cjs'],
};

/**
 * The jest configuration, with Nest 11 (from `.nest11/`, or the directory NESTJS_PROBES_NEST_DIR
 * names: see scripts/test-nest11.mjs) in place of the Nest 12 of the main install: every import of
 * @nestjs/{common,core,platform-*,testing,microservices}, deep paths included, from the tests, the
 * library and Nest itself, resolves there.
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

const DIR = process.env.NESTJS_PROBES_NEST_DIR ?? '<rootDir>/.nest11';

export default {
  ...base,
  rootDir: '..',
  moduleNameMapper: {
    [`^@nestjs/(${NEST11_PACKAGES.join('|')})((?:/.*)?)$`]: `${DIR}/node_modules/@nestjs/$1$2`,
    ...base.moduleNameMapper,
  },
  setupFiles: [...(base.setupFiles ?? []), '<rootDir>/scripts/nest11.setup.cjs'],
};

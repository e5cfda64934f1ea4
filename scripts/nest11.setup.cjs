// Runs before each test file under scripts/jest.nest11.config.js: fails the run at once if the
// module mapping did not put Nest 11 in place of the main install's Nest.
'use strict';
for (const name of [
  'common',
  'core',
  'platform-express',
  'platform-fastify',
  'testing',
  'microservices',
]) {
  const { version } = require(`@nestjs/${name}/package.json`);
  if (!version.startsWith('11.')) {
    throw new Error(
      `@nestjs/${name} resolved to ${version}, not 11.x: run scripts/test-nest11.mjs`,
    );
  }
}

/**
 * Loaded with `node --import` into the processes the end-to-end suites start (the sample, the
 * fixtures) when NESTJS_PROBES_NEST_DIR names a directory with another release of NestJS in its
 * node_modules (`.nest11/`, `.nest-floor/`; see scripts/test-nest11.mjs): every import of
 * @nestjs/{common,core,microservices,platform-*,testing}, deep paths included, resolves there, as
 * jest's moduleNameMapper does in-process (nest-release.hooks.mjs). Nest, CommonJS, then
 * requires its own packages from there by itself.
 */
import { register } from 'node:module';

if (!process.env.NESTJS_PROBES_NEST_DIR) {
  throw new Error('scripts/nest-release.mjs: NESTJS_PROBES_NEST_DIR is not set');
}
register('./nest-release.hooks.mjs', import.meta.url);

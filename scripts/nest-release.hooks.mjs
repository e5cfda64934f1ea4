/** The resolve hook of scripts/nest-release.mjs. */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const parentURL = pathToFileURL(join(process.env.NESTJS_PROBES_NEST_DIR, 'package.json')).href;
const NEST =
  /^@nestjs\/(common|core|microservices|platform-express|platform-fastify|testing)(\/|$)/;

export function resolve(specifier, context, next) {
  return NEST.test(specifier)
    ? next(specifier, { ...context, parentURL })
    : next(specifier, context);
}

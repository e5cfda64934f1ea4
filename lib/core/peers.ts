import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * @internal Whether an npm package can be loaded from here: the optional peers (a client
 * library, `prom-client`, `@nestjs/microservices`) are checked at start-up, never imported.
 */
export function isInstalled(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch (error) {
    // Found, but ESM-only or without a `require` export: installed all the same.
    return (error as NodeJS.ErrnoException).code === 'ERR_PACKAGE_PATH_NOT_EXPORTED';
  }
}

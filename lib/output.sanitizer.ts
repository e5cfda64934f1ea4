import { boundText } from './check-result.normalizer.js';
import type { OutputSanitizer } from './indicator.runner.js';

/** @internal Token of the function every check output passes through before it is cached or sent. */
export const OUTPUT_SANITIZER = Symbol('OUTPUT_SANITIZER');

/** @internal The default sanitizer: one line, bounded. */
export const defaultSanitizer: OutputSanitizer = (text) => boundText(text);

import { OUTPUT_MAX_LENGTH } from './health.constants.js';

/** @internal Truncates a text to the output bound, on one line. */
export function boundText(text: string, max = OUTPUT_MAX_LENGTH): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

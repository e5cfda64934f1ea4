import type { HealthReport } from '../../interfaces/health-check.interface.js';

/** Characters that would break a line or hide in it: each shown as an escape instead. */
// oxlint-disable-next-line no-control-regex -- matching them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const escape = (text: string) =>
  text.replace(CONTROL, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * @internal A report as plain text, in the style of the Kubernetes API server's `?verbose`: one
 * line per check, `[+]database ok` or `[-]cache failed: connection refused`, then whether the
 * probe passed. Outputs are already one line each.
 */
export function renderText(subject: string, report: HealthReport): string {
  const lines: string[] = [];
  let failedLines = 0;
  for (const [key, entries] of Object.entries(report.checks ?? {})) {
    const entry = entries[0];
    // An indicator is named by its name; a diagnostic of the deep probe by its whole key.
    const label = key.endsWith(':responseTime') ? entry.componentId : key;
    // After the line Kubernetes' own verbose output would have: a check no one declared.
    const found = entry.autoDiscovered ? ' (auto-discovered)' : '';
    if (entry.status === 'pass') {
      lines.push(`[+]${label} ok${found}`);
    } else if (entry.status === 'warn') {
      lines.push(`[+]${label} warn: ${escape(entry.output ?? 'degraded')}${found}`);
    } else {
      failedLines++;
      lines.push(`[-]${label} failed: ${escape(entry.output ?? 'failed')}${found}`);
    }
  }
  for (const note of report.notes ?? []) lines.push(`warn: ${escape(note)}`);
  let verdict = `${subject} check ${report.status === 'fail' ? 'failed' : 'passed'}`;
  if (report.status === 'warn') verdict += ' (degraded)';
  // Failing with no failed check: start-up or shutdown decided it; say why.
  if (report.status === 'fail' && failedLines === 0 && report.output) {
    verdict += `: ${escape(report.output)}`;
  }
  lines.push(verdict);
  return `${lines.join('\n')}\n`;
}

import { expect } from '@jest/globals';
import { spawn } from 'node:child_process';

/**
 * Prometheus' own checker (`promtool`, Debian package prometheus): what it says of an
 * exposition, of a rules file and of the rules' unit tests is what a Prometheus server would.
 */

export interface PromtoolResult {
  status: number | null;
  output: string;
}

/** Runs `promtool <args>`, with `input` on its standard input. */
export function promtool(args: readonly string[], input?: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
    child.stdin.end(input ?? '');
  });
}

/** Fails unless `promtool check metrics` accepts the exposition, lint included, saying why. */
export async function expectPromtoolAccepts(exposition: string): Promise<void> {
  const { status, output } = await promtool(['check', 'metrics'], exposition);
  expect({ status, output }).toEqual({ status: 0, output: '' });
}

import { describe, expect, it } from '@jest/globals';
import { formatBytes } from './format-bytes.js';

describe('formatBytes', () => {
  it('formats bytes for a human', () => {
    expect([0, 999, 1000, 1_234_567, 4.2e9, 9e15].map(formatBytes)).toEqual([
      '0 B',
      '999 B',
      '1 kB',
      '1.2 MB',
      '4.2 GB',
      '9 PB',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { runPool } from './pool.js';

describe('runPool', () => {
  it('runs every item once, at most `jobs` at a time, and starts nothing after an abort', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await runPool([10, 11, 12, 13, 14], 2, async (item, index) => {
      running++;
      peak = Math.max(peak, running);
      seen[index] = item;
      await new Promise((r) => setTimeout(r, 5));
      running--;
    });
    expect(seen).toEqual([10, 11, 12, 13, 14]);
    expect(peak).toBe(2);
    const stop = new AbortController();
    const started: number[] = [];
    await runPool([1, 2, 3, 4], 1, async (item) => {
      started.push(item);
      if (item === 2) stop.abort();
    }, stop.signal);
    expect(started).toEqual([1, 2]);
  });
});

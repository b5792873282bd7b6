import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { parseSize, payloadChunks, planPayload, PAYLOAD_FLAVORS } from './payload.js';

function payloadBytes(total: number): Buffer {
  const parts: Buffer[] = [];
  for (const f of planPayload(total)) for (const c of payloadChunks(f.seed, f.flavor, f.size)) parts.push(c);
  return Buffer.concat(parts);
}

describe('benchmark payload', () => {
  it('plans exactly the requested bytes, in the documented mix, deterministically', () => {
    const total = 64 << 20;
    const plan = planPayload(total);
    expect(plan.reduce((n, f) => n + f.size, 0)).toBe(total);
    expect(planPayload(total)).toEqual(plan);
    const share = (flavor: string): number => plan.filter((f) => f.flavor === flavor).reduce((n, f) => n + f.size, 0) / total;
    expect(share('module')).toBeCloseTo(0.35, 2);
    expect(share('library')).toBeCloseTo(0.35, 2);
    expect(share('firmware')).toBeCloseTo(0.15, 2);
    expect(share('text')).toBeCloseTo(0.15, 2);
    expect(new Set(plan.map((f) => f.rel)).size).toBe(plan.length);
    expect(planPayload(0)).toEqual([]);
  });

  it('generates the same bytes for the same seed, different bytes for another', () => {
    const digest = (seed: number): string => {
      const h = createHash('sha256');
      for (const c of payloadChunks(seed, 'module', 3 << 20)) h.update(c);
      return h.digest('hex');
    };
    expect(digest(7)).toBe(digest(7));
    expect(digest(7)).not.toBe(digest(8));
    const sizes = [...payloadChunks(1, 'text', (1 << 20) + 5)].map((c) => c.length);
    expect(sizes).toEqual([1 << 20, 5]);
  });

  it('compresses about like real initramfs content (gzip -9 ~3x, lz4 -l -9 ~2.6x)', async () => {
    const data = payloadBytes(8 << 20);
    const ratio = async (cmd: string, args: string[]): Promise<number> => data.length / (await execa(cmd, args, { input: data, encoding: 'buffer' })).stdout.length;
    const gzip = await ratio('gzip', ['-9', '-c']);
    const lz4 = await ratio('lz4', ['-l', '-9', '-c']);
    const zstd = await ratio('zstd', ['-15', '-T1', '-c']);
    expect(gzip).toBeGreaterThan(2.5);
    expect(gzip).toBeLessThan(3.5);
    expect(lz4).toBeGreaterThan(2.3);
    expect(lz4).toBeLessThan(3.0);
    expect(zstd).toBeGreaterThan(gzip);
    for (const flavor of PAYLOAD_FLAVORS) expect([...payloadChunks(3, flavor, 4096)][0]!.length).toBe(4096);
  });

  it('parses sizes with binary units and rejects nonsense', () => {
    expect(parseSize('64M')).toBe(64 << 20);
    expect(parseSize('1G')).toBe(1 << 30);
    expect(parseSize('512k')).toBe(512 << 10);
    expect(parseSize('1000')).toBe(1000);
    expect(() => parseSize('12 parsecs')).toThrow(/invalid size "12 parsecs".*K, M or G/);
  });
});

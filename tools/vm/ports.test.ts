import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { pickFreePort } from './ports.js';

describe('pickFreePort', () => {
  it('returns distinct loopback ports that can be bound', async () => {
    const ports = await Promise.all(Array.from({ length: 8 }, () => pickFreePort()));
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) {
      expect(port).toBeGreaterThan(0);
      await new Promise<void>((resolve, reject) => {
        const s = net.createServer().once('error', reject);
        s.listen(port, '127.0.0.1', () => s.close(() => resolve()));
      });
    }
  });
});

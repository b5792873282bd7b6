import { describe, expect, it } from 'vitest';
import { BOOTCONFIG_MAGIC, bootconfigTrailer } from './bootconfig.js';

describe('bootconfigTrailer', () => {
  it('writes text, NUL, padding to a 4-byte aligned end, size with padding, byte sum and magic, as tools/bootconfig does', () => {
    const text = 'kernel.loglevel = 7\n';
    const t = bootconfigTrailer(text, 4096 + 1);
    const data = text.length + 1;
    // 4097 + 21 + 20 = 4138: two bytes of padding to 4140.
    expect((4096 + 1 + t.length) % 4).toBe(0);
    expect(t.length).toBe(data + 2 + 20);
    expect(t.subarray(0, text.length).toString()).toBe(text);
    expect([...t.subarray(text.length, data + 2)]).toEqual([0, 0, 0]);
    const footer = t.subarray(t.length - 20);
    expect(footer.readUInt32LE(0)).toBe(data + 2);
    expect(footer.readUInt32LE(4)).toBe([...Buffer.from(text)].reduce((a, b) => a + b, 0));
    expect(footer.subarray(8).toString('latin1')).toBe(BOOTCONFIG_MAGIC);
  });

  it('pads nothing when the end is aligned already, and refuses text over the kernel limit', () => {
    expect(bootconfigTrailer('abc', 0).length).toBe(4 + 20);
    expect(() => bootconfigTrailer('x'.repeat(40000), 0)).toThrow(/more than the kernel's 32767/);
  });
});

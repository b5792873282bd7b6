import { describe, expect, it } from 'vitest';
import { decisionFromProbe, freshProbe, probeKey, PROBE_TTL_MS } from './accel.js';

describe('probe cache', () => {
  const key = probeKey('a'.repeat(64), 'QEMU emulator version 7.2.22');
  it('keys on kernel content and QEMU version', () => {
    expect(probeKey('a'.repeat(64), 'QEMU emulator version 8.0.0')).not.toBe(key);
    expect(probeKey('b'.repeat(64), 'QEMU emulator version 7.2.22')).not.toBe(key);
    expect(probeKey('a'.repeat(64), 'QEMU emulator version 7.2.22')).toBe(key);
  });
  it('uses a record for the same key younger than the TTL', () => {
    const now = 1_000_000_000;
    const rec = { key, kvmWorks: false, detail: 'no kernel console output within 6s', at: now - 1000 };
    expect(freshProbe([rec], key, now)).toBe(rec);
    expect(freshProbe([rec], 'other', now)).toBeUndefined();
    expect(freshProbe([{ ...rec, at: now - PROBE_TTL_MS }], key, now)).toBeUndefined();
    expect(freshProbe([{ ...rec, at: now + 5000 }], key, now)).toBeUndefined();
  });
  it('says which accel and why', () => {
    const at = Date.UTC(2026, 10, 25, 22, 0, 0);
    expect(decisionFromProbe({ key, kvmWorks: false, detail: 'no kernel console output within 6s', at }, true)).toEqual({
      accel: 'tcg',
      why: 'auto: KVM probe failed, fell back to TCG: no kernel console output within 6s (cached probe from 2026-11-25T22:00:00.000Z)',
    });
    expect(decisionFromProbe({ key, kvmWorks: true, detail: 'seen', at }, false).accel).toBe('kvm');
  });
});

import { describe, expect, it } from 'vitest';
import { archFragments, getArch, hostArchName, isForeign, loadArchSet, parseArchSet } from './arch.js';

const arm64 = {
  kernelArch: 'arm64',
  crossCompile: 'aarch64-linux-gnu-',
  image: 'arch/arm64/boot/Image',
  makeTargets: ['Image'],
  fragments: { guest: 'guest-arm64' },
  debianArch: 'arm64',
  userland: { multiarch: 'aarch64-linux-gnu', packages: ['busybox-static'] },
  qemu: { binary: 'qemu-system-aarch64', debianPackage: 'qemu-system-arm', machine: 'virt', append: 'console=ttyAMA0 panic=-1' },
};

describe('parseArchSet', () => {
  it('reads the architectures and the default', () => {
    const set = parseArchSet({ default: 'arm64', arches: { arm64 } });
    expect(set.default).toBe('arm64');
    expect(set.arches.get('arm64')?.qemu.append).toBe('console=ttyAMA0 panic=-1');
  });

  it('names the file and key that are wrong', () => {
    expect(() => parseArchSet({ default: 'x', arches: { arm64 } }, 'a.json')).toThrow(/^a\.json: default: expected one of arm64, got "x"$/m);
    expect(() => parseArchSet({ default: 'arm64', arches: { arm64: { ...arm64, crossCompile: 'aarch64-gcc' } } })).toThrow(/arches\.arm64\.crossCompile: "aarch64-gcc" is not a compiler prefix/);
    expect(() => parseArchSet({ default: 'arm64', arches: { arm64: { ...arm64, image: '../Image' } } })).toThrow(/arches\.arm64\.image: must be a path inside the build directory/);
    expect(() => parseArchSet({ default: 'arm64', arches: { arm64: { ...arm64, qemu: { ...arm64.qemu, cpu: 'max' } } } })).toThrow(/arches\.arm64\.qemu: unknown key "cpu"/);
    expect(() => parseArchSet({ default: 'arm64', arches: { arm64: { ...arm64, qemu: { ...arm64.qemu, append: 'console=ttyAMA0' } } } })).toThrow(/arches\.arm64\.qemu\.append: "console=ttyAMA0" must name the serial console \(console=…\) and have panic=-1/);
    expect(() => parseArchSet({ default: 'ARM', arches: { ARM: arm64 } })).toThrow(/an architecture name is lower-case/);
  });
});

describe('the committed arches.json', () => {
  it('has x86_64 as the default, and arm64 replacing the guest fragment', async () => {
    const set = await loadArchSet();
    expect(set.default).toBe('x86_64');
    const a = await getArch('arm64');
    expect(archFragments(a, ['guest', 'erofs', 'initrd-erofs'])).toEqual(['guest-arm64', 'erofs', 'initrd-erofs']);
    expect(archFragments(await getArch(), ['guest', 'erofs'])).toEqual(['guest', 'erofs']);
  });

  it('refuses an unknown architecture, listing the valid ones', async () => {
    await expect(getArch('riscv64')).rejects.toThrow(/unknown architecture "riscv64" \(valid: x86_64, arm64\)/);
  });
});

describe('host and foreign architectures', () => {
  it('maps node names and compares with the host', () => {
    expect(hostArchName('x64')).toBe('x86_64');
    expect(hostArchName('arm64')).toBe('arm64');
    expect(isForeign({ name: 'arm64' }, 'x86_64')).toBe(true);
    expect(isForeign({ name: 'arm64' }, 'arm64')).toBe(false);
  });
});

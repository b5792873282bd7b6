import { describe, expect, it } from 'vitest';
import { buildQemuArgs, isHostForwardClash, kernelCommandLine } from './qemu-args.js';

const base = { kernel: '/k/bzImage', initrd: '/i/initrd.cpio.gz', memoryMiB: 512, accel: 'tcg' as const, serial: 'stdio' as const };

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}

describe('buildQemuArgs', () => {
  it('with a gdb port: the stub on loopback only, the CPU halted until the debugger continues', () => {
    const args = buildQemuArgs({ ...base, gdbPort: 1234 });
    expect(flag(args, '-gdb')).toBe('tcp:127.0.0.1:1234');
    expect(args).toContain('-S');
    expect(buildQemuArgs(base)).not.toContain('-S');
  });

  it('builds a TCG q35 guest with the console on stdio and no reboot', () => {
    const args = buildQemuArgs({ ...base, sshPort: 40022, append: 'quiet' });
    expect(flag(args, '-machine')).toBe('q35,accel=tcg');
    expect(flag(args, '-cpu')).toBe('max');
    expect(flag(args, '-m')).toBe('512');
    expect(flag(args, '-smp')).toBe('1');
    expect(args).toContain('-nographic');
    expect(args).toContain('-no-reboot');
    expect(flag(args, '-kernel')).toBe('/k/bzImage');
    expect(flag(args, '-initrd')).toBe('/i/initrd.cpio.gz');
    expect(flag(args, '-append')).toBe('console=ttyS0 panic=-1 no_timer_check quiet');
    expect(flag(args, '-serial')).toBe('stdio');
    expect(flag(args, '-monitor')).toBe('none');
    expect(args).not.toContain('-icount');
  });

  it('boots another board with its own console (arm64: virt, ttyAMA0)', () => {
    const machine = { binary: 'qemu-system-aarch64', machine: 'virt', append: 'console=ttyAMA0 panic=-1' };
    const args = buildQemuArgs({ ...base, kernel: '/k/Image', machine, sshPort: 40022 });
    expect(flag(args, '-machine')).toBe('virt,accel=tcg');
    expect(flag(args, '-cpu')).toBe('max');
    expect(flag(args, '-kernel')).toBe('/k/Image');
    expect(flag(args, '-append')).toBe('console=ttyAMA0 panic=-1');
    expect(flag(args, '-device')).toBe('virtio-net-pci,netdev=n0,romfile=');
    expect(kernelCommandLine('x', machine.append)).toBe('console=ttyAMA0 panic=-1 x');
  });

  it('forwards SSH only from 127.0.0.1', () => {
    const args = buildQemuArgs({ ...base, sshPort: 40022 });
    expect(flag(args, '-netdev')).toBe('user,id=n0,hostfwd=tcp:127.0.0.1:40022-:22');
    expect(flag(args, '-device')).toBe('virtio-net-pci,netdev=n0,romfile=');
    const hostfwds = args.filter((a) => a.includes('hostfwd'));
    expect(hostfwds).toHaveLength(1);
    expect(hostfwds[0]).not.toMatch(/hostfwd=tcp::|0\.0\.0\.0/);
  });

  it('has no network without a port, and passes the host CPU under KVM', () => {
    const args = buildQemuArgs({ ...base, accel: 'kvm' });
    expect(flag(args, '-nic')).toBe('none');
    expect(args.join(' ')).not.toContain('hostfwd');
    expect(flag(args, '-machine')).toBe('q35,accel=kvm');
    expect(flag(args, '-cpu')).toBe('host');
  });

  it('adds a deterministic icount clock, TCG only', () => {
    expect(flag(buildQemuArgs({ ...base, icountShift: 4 }), '-icount')).toBe('shift=4,sleep=off');
    expect(flag(buildQemuArgs({ ...base, icountShift: 'auto' }), '-icount')).toBe('shift=auto,sleep=off');
    expect(() => buildQemuArgs({ ...base, accel: 'kvm', icountShift: 4 })).toThrow(/needs TCG/);
  });

  it('rejects nonsense before QEMU sees it', () => {
    expect(() => buildQemuArgs({ ...base, memoryMiB: 12 })).toThrow(/at least 64/);
    expect(() => buildQemuArgs({ ...base, sshPort: 70000 })).toThrow(/1-65535/);
    expect(() => buildQemuArgs({ ...base, icountShift: 99 })).toThrow(/0-10/);
  });

  it('attaches extra disks read-only as raw virtio drives, in order, commas escaped', () => {
    const args = buildQemuArgs({ ...base, disks: ['/runs/a/disk.erofs', '/odd,dir/b.img'] });
    const drives = args.flatMap((a, i) => (args[i - 1] === '-drive' ? [a] : []));
    expect(drives).toEqual([
      'file=/runs/a/disk.erofs,if=virtio,format=raw,readonly=on',
      'file=/odd,,dir/b.img,if=virtio,format=raw,readonly=on',
    ]);
    expect(buildQemuArgs(base)).not.toContain('-drive');
  });

  it('keeps mon:stdio for interactive boots', () => {
    expect(flag(buildQemuArgs({ ...base, serial: 'mon:stdio' }), '-serial')).toBe('mon:stdio');
  });

  it('appends an unattended console to a file QEMU opens itself, commas in its path escaped', () => {
    const args = buildQemuArgs({ ...base, serial: { file: '/runs/a,b/console.raw' } });
    expect(flag(args, '-chardev')).toBe('file,id=console,path=/runs/a,,b/console.raw,append=on');
    expect(flag(args, '-serial')).toBe('chardev:console');
    expect(flag(args, '-monitor')).toBe('none');
  });
});

describe('kernelCommandLine', () => {
  it('always starts with the console and panic=-1', () => {
    expect(kernelCommandLine()).toBe('console=ttyS0 panic=-1 no_timer_check');
    expect(kernelCommandLine('  ')).toBe('console=ttyS0 panic=-1 no_timer_check');
    expect(kernelCommandLine(' rdinit=/bin/sh ')).toBe('console=ttyS0 panic=-1 no_timer_check rdinit=/bin/sh');
  });
});

describe('isHostForwardClash', () => {
  it('recognises QEMU 7.2 wording', () => {
    expect(isHostForwardClash("qemu-system-x86_64: -netdev user,id=n0,hostfwd=tcp:127.0.0.1:10050-:22: Could not set up host forwarding rule 'tcp:127.0.0.1:10050-:22'\n")).toBe(true);
    expect(isHostForwardClash("qemu: could not open kernel file '/nonexist': No such file or directory")).toBe(false);
  });
});

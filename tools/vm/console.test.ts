import { describe, expect, it } from 'vitest';
import {
  findPanic, formatTimestampedLine, isKernelLine, LineSplitter, parseConsoleFacts, parseMarker, splitPrintk, stripControl,
} from './console.js';

// Observed on QEMU 7.2 TCG with Linux 6.12.117 (tinyconfig + guest.config), gzip cpio guest.
const GOOD_BOOT = `\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS (version 1.16.2-debian-1.16.2-1)
Booting from ROM...
\x1bc\x1b[?7l\x1b[2J[    0.000000] Linux version 6.12.117 (root@vm) (gcc (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 Wed Nov 25 22:08:15 UTC 2026
[    0.000000] Command line: console=ttyS0 panic=-1
[    0.777217] Unpacking initramfs...
[    1.345720] Freeing initrd memory: 2916K
[    1.708213] Run /init as init process
IOFS_MARKER stage=init uptime=1.86 mem_available_kb=483612 mem_total_kb=504812
IOFS_MARKER stage=sshd uptime=2.12 mem_available_kb=483104 mem_total_kb=504812
[37] Nov 25 22:09:55 Child connection from 10.0.2.2:42914
`.split('\n');

// A garbage initrd with panic=-1: the kernel finds no /init, no root, and panics.
const GARBAGE_INITRD = `[    0.684004] Unpacking initramfs...
[    0.684004] Initramfs unpacking failed: invalid magic at start of compressed archive
[    0.688004] Freeing initrd memory: 196K
[    0.880016] NET: Registered PF_PACKET protocol family
[    1.276041] VFS: Cannot open root device "" or unknown-block(0,0): error -19
[    1.276041] Please append a correct "root=" boot option; here are the available partitions:
[    1.276041] List of all bdev filesystems:
[    1.276041]  erofs
[    1.276041] 
[    1.276041] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)
[    1.276041] CPU: 0 UID: 0 PID: 1 Comm: swapper Not tainted 6.12.117 #1 
[    1.276041] Call Trace:
[    1.276041]  <TASK>
[    1.276041]  ? 0xffffffff81037a35
[    1.276041]  </TASK>
[    1.276041] Kernel Offset: disabled`.split('\n');

// An Oops that later becomes a panic (shape of a NULL dereference in a driver probe).
const OOPS_THEN_PANIC = `[    0.900000] erofs: (device erofs): mounted with root inode @ nid 36.
[    0.910000] BUG: kernel NULL pointer dereference, address: 0000000000000008
[    0.910000] #PF: supervisor read access in kernel mode
[    0.910000] Oops: Oops: 0000 [#1] PREEMPT NOPTI
[    0.910000] RIP: 0010:0xffffffff81234567
[    0.910000] Call Trace:
[    0.920000] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000009`.split('\n');

const WARNING = `[    2.000000] ------------[ cut here ]------------
[    2.000000] WARNING: CPU: 0 PID: 1 at fs/overlayfs/super.c:123 ovl_fill_super+0x1/0x2
[    2.000000] Modules linked in:
[    2.000000] Call Trace:`.split('\n');

describe('LineSplitter', () => {
  it('joins chunks, handles CRLF, keeps a partial line until flushed', () => {
    const s = new LineSplitter();
    expect(s.push('[    0.1] a\r\n[    0.2')).toEqual(['[    0.1] a']);
    expect(s.push('] b\r\nc')).toEqual(['[    0.2] b']);
    expect(s.flush()).toEqual(['c']);
    expect(s.flush()).toEqual([]);
  });
});

describe('formatTimestampedLine', () => {
  it('prefixes host seconds since QEMU start', () => {
    expect(formatTimestampedLine(12345, 'x')).toBe('[+12.345s] x');
    expect(formatTimestampedLine(5, 'y')).toBe('[+0.005s] y');
  });
});

describe('stripControl / splitPrintk / isKernelLine', () => {
  it('removes the firmware clear-screen sequences', () => {
    expect(stripControl(GOOD_BOOT[0] ?? '')).toBe('SeaBIOS (version 1.16.2-debian-1.16.2-1)');
    expect(splitPrintk(stripControl(GOOD_BOOT[2] ?? '')).time).toBe(0);
  });
  it('tells kernel output from firmware output', () => {
    expect(isKernelLine(GOOD_BOOT[1] ?? '')).toBe(false);
    expect(isKernelLine(GOOD_BOOT[2] ?? '')).toBe(true);
    expect(splitPrintk('[    1.708213] Run /init as init process')).toEqual({ time: 1.708213, message: 'Run /init as init process' });
  });
});

describe('parseMarker', () => {
  it('reads the fields of an IOFS_MARKER line', () => {
    expect(parseMarker('IOFS_MARKER stage=init uptime=0.83 mem_available_kb=1971234 mem_total_kb=2012345')).toEqual({
      stage: 'init',
      uptime: 0.83,
      fields: { stage: 'init', uptime: '0.83', mem_available_kb: '1971234', mem_total_kb: '2012345' },
    });
  });
  it('ignores other lines and markers without a stage', () => {
    expect(parseMarker('[    1.0] Run /init as init process')).toBeUndefined();
    expect(parseMarker('IOFS_MARKER uptime=1')).toBeUndefined();
  });
  it('has no uptime when the field is empty or garbled (never 0)', () => {
    expect(parseMarker('IOFS_MARKER stage=init uptime=')?.uptime).toBeUndefined();
    expect(parseMarker('IOFS_MARKER stage=init uptime=1.2x')?.uptime).toBeUndefined();
    expect(parseMarker('IOFS_MARKER stage=init')?.uptime).toBeUndefined();
    expect(parseMarker('IOFS_MARKER stage=init uptime=12')?.uptime).toBe(12);
  });
});

describe('parseConsoleFacts', () => {
  it('finds run_init, the unpack span and the markers of a good boot', () => {
    const f = parseConsoleFacts(GOOD_BOOT);
    expect(f.runInitS).toBe(1.708213);
    expect(f.unpackStartS).toBe(0.777217);
    expect(f.unpackEndS).toBe(1.34572);
    expect(f.unpackS).toBeCloseTo(0.568503, 6);
    expect(f.markers.map((m) => [m.stage, m.uptime])).toEqual([['init', 1.86], ['sshd', 2.12]]);
    expect(f.unpackError).toBeUndefined();
  });
  it('understands the pre-5.x unpack message and reports unpack errors', () => {
    const f = parseConsoleFacts(['[    0.5] Trying to unpack rootfs image as initramfs...', ...GARBAGE_INITRD]);
    expect(f.unpackStartS).toBe(0.5);
    expect(f.unpackError).toBe('Initramfs unpacking failed: invalid magic at start of compressed archive');
    expect(f.runInitS).toBeUndefined();
  });
});

describe('findPanic', () => {
  it('finds nothing in a good boot', () => {
    expect(findPanic(GOOD_BOOT)).toBeUndefined();
  });

  it('quotes the panic line with the lines around it', () => {
    const p = findPanic(GARBAGE_INITRD, 3, 2);
    expect(p?.kind).toBe('panic');
    expect(p?.line).toBe('[    1.276041] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)');
    expect(p?.context).toHaveLength(6);
    expect(p?.context[3]).toBe(p?.line);
    expect(p?.context.at(-1)).toContain('Call Trace:');
  });

  it('takes context where trouble started, and quotes the panic it caused', () => {
    const p = findPanic(OOPS_THEN_PANIC, 1, 25);
    expect(p?.kind).toBe('panic');
    expect(p?.firstLine).toContain('BUG: kernel NULL pointer dereference');
    expect(p?.line).toContain('Attempted to kill init');
    expect(p?.context[0]).toContain('erofs: (device erofs)');
    expect(p?.context).toHaveLength(OOPS_THEN_PANIC.length);
  });

  it('classifies warnings, KASAN, bare stack traces', () => {
    expect(findPanic(WARNING)?.kind).toBe('warning');
    expect(findPanic(['[    3.1] BUG: KASAN: slab-out-of-bounds in erofs_read_inode+0x10/0x20'])?.kind).toBe('kasan');
    expect(findPanic(['[    3.1] kernel BUG at mm/slub.c:1234!'])?.kind).toBe('bug');
    expect(findPanic(['[    3.1] general protection fault, probably for non-canonical address'])?.kind).toBe('oops');
    expect(findPanic(['[    3.1] Call Trace:'])?.kind).toBe('stack-trace');
    expect(findPanic(['[    3.1] UBSAN: shift-out-of-bounds in fs/erofs/zmap.c:100:2'])?.kind).toBe('ubsan');
  });

  it('does not fire on words in the middle of ordinary lines', () => {
    expect(findPanic(['[    1.0] random: crng init done', 'echo: no Kernel panic - not syncing here', '[ 1.0] ACPI: BUG: wording in the middle'])).toBeUndefined();
  });
});

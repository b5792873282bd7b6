import { describe, expect, it } from 'vitest';
import { attribute, classifyBoot, traceFrames } from './classify.js';

/** Console lines as the 6.12 debug kernel prints them (printk time prefix added). */
const k = (...msgs: string[]): string[] => msgs.map((m, i) => `[    1.${String(100000 + i).slice(1)}] ${m}`);

const ourPanic = k(
  'initrd_erofs: image truncated: 4000 bytes, the superblock says 4128768',
  'Kernel panic - not syncing: initrd_erofs: superblock check failed: -22',
  'CPU: 0 UID: 0 PID: 1 Comm: swapper Not tainted 6.12.117 #1',
  'Call Trace:',
  ' <TASK>',
  ' dump_stack_lvl+0x5d/0x80',
  ' panic+0x118/0x2f0',
  ' initrd_erofs_mount_root+0x4b1/0x4c0',
  ' kernel_init_freeable+0x2a0/0x2f0',
);

const kasanInErofs = k(
  'initrd_erofs: mounted 4128768-byte image (compression lz4, backend bdev) as / in 900 us',
  'Run /init as init process',
  '==================================================================',
  'BUG: KASAN: slab-out-of-bounds in z_erofs_load_compact_lcluster+0x1c3/0x5a0',
  'Read of size 2 at addr ffff888003a1f000 by task init/1',
  'Call Trace:',
  ' <TASK>',
  ' dump_stack_lvl+0x5d/0x80',
  ' print_report+0xc1/0x5e0',
  ' ? z_erofs_load_compact_lcluster+0x1c3/0x5a0',
  ' kasan_report+0xb4/0xf0',
  ' z_erofs_load_compact_lcluster+0x1c3/0x5a0',
  ' z_erofs_map_blocks_iter.isra.0+0x2b0/0x9f0',
  ' z_erofs_read_folio+0x120/0x300',
  'Kernel panic - not syncing: kasan.fault=panic set ...',
);

describe('fuzz boot classification', () => {
  it("the series' documented panics about layers count by their reason, not by the case's offsets", () => {
    const kind = (msg: string): string => classifyBoot({ lines: [`[    1.0] Kernel panic - not syncing: ${msg}`], timedOut: false, exitCode: 0 }).kind;
    expect(kind('initrd_erofs: unpacking the archives after the image (offset 4096 of the initrd) failed: invalid magic at start of compressed archive')).toBe(
      'unpacking the archives after the image failed (invalid magic at start of compressed archive)',
    );
    expect(kind('initrd_erofs: the EROFS image at offset 0 is followed by other data, so its size must be a multiple of 4096 bytes, not 516608')).toBe(
      'the EROFS image at offset N is followed by other data, so its size must be a multiple of N bytes, not N',
    );
    expect(classifyBoot({ lines: ['[    1.0] Kernel panic - not syncing: initrd_erofs: unpacking the archives after the image (offset 8 of the initrd) failed: junk'], timedOut: false, exitCode: 0 }).class).toBe('clean-failure');
  });

  it('an /init the kernel cannot execute, followed by a fallback shell waiting at its prompt, is a clean failure, not a hang', () => {
    const v = classifyBoot({
      lines: ['[    1.95] Run /init as init process', '[    2.00] erofs (device 0:16): read error -95 @ 0 of nid 44151', '[    2.00] Failed to execute /init (error -95)', '[    2.00] Run /sbin/init as init process', '[    2.02] Run /bin/sh as init process', '/ # '],
      timedOut: true,
      exitCode: null,
    });
    expect(v).toMatchObject({ class: 'clean-failure', kind: 'init failed (error -95): the kernel ran a fallback init', line: '[    2.00] Failed to execute /init (error -95)' });
  });

  it('our documented panic is a clean failure naming the step and errno', () => {
    expect(classifyBoot({ lines: ourPanic, timedOut: false, exitCode: 0 })).toMatchObject({
      class: 'clean-failure',
      kind: 'superblock check failed (-22)',
      line: expect.stringContaining('Kernel panic - not syncing: initrd_erofs: superblock check failed: -22'),
      mounted: false,
    });
  });

  it('a KASAN report is a crash attributed to the function at fault, not to the stack below it', () => {
    const v = classifyBoot({ lines: kasanInErofs, timedOut: false, exitCode: 0 });
    expect(v).toMatchObject({ class: 'crash', kind: 'kasan', owner: 'erofs', mounted: true, ourFrameInTrace: false });
    // Unreliable "? foo" frames are skipped, .isra suffixes dropped, duplicates folded.
    expect(v.frames?.slice(0, 5)).toEqual(['z_erofs_load_compact_lcluster', 'dump_stack_lvl', 'print_report', 'kasan_report', 'z_erofs_load_compact_lcluster']);
    expect(v.frames).toContain('z_erofs_map_blocks_iter');
  });

  it('an Oops in init/initrd_erofs.c is ours, even below generic frames', () => {
    const lines = k(
      'BUG: kernel NULL pointer dereference, address: 0000000000000008',
      '#PF: supervisor read access in kernel mode',
      'Oops: Oops: 0000 [#1] PREEMPT KASAN',
      'RIP: 0010:memcpy_orig+0x31/0x140',
      'Call Trace:',
      ' <TASK>',
      ' initrd_erofs_submit_bio+0x20/0x90',
      ' __submit_bio+0x1f0/0x2a0',
      ' erofs_read_metabuf+0x55/0x80',
      'Kernel panic - not syncing: Fatal exception',
    );
    expect(classifyBoot({ lines, timedOut: false, exitCode: 0 })).toMatchObject({ class: 'crash', kind: 'bug', owner: 'ours', ourFrameInTrace: true });
  });

  it('UBSAN and WARNING lines name the source file: that decides the owner', () => {
    expect(attribute(k('UBSAN: shift-out-of-bounds in fs/erofs/super.c:298:19', 'shift exponent 255 is too large'))).toMatchObject({ owner: 'erofs' });
    const warn = k('WARNING: CPU: 0 PID: 1 at fs/overlayfs/super.c:1234 ovl_fill_super+0x99/0x100', 'Call Trace:', ' erofs_iget+0x10/0x20');
    expect(classifyBoot({ lines: warn, timedOut: false, exitCode: 0 })).toMatchObject({ class: 'crash', kind: 'warning', owner: 'overlayfs' });
    expect(attribute(k('kernel BUG at init/initrd_erofs.c:120!'))).toMatchObject({ owner: 'ours' });
    expect(attribute(k('BUG: unable to handle page fault', 'RIP: 0010:strlen+0x4/0x30', ' do_one_initcall+0x10/0x20'))).toMatchObject({ owner: 'other' });
  });

  it('the fallback, a missing /init and an init that cannot run are clean failures', () => {
    const fallback = k('Initramfs unpacking failed: invalid magic at start of compressed archive', 'Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)');
    expect(classifyBoot({ lines: fallback, timedOut: false, exitCode: 0 })).toMatchObject({ class: 'clean-failure', kind: 'not claimed: fallback to cpio, no root', mounted: false });
    const noInit = k('initrd_erofs: mounted 8192-byte image (compression none, backend bdev) as / in 80 us', 'Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)');
    expect(classifyBoot({ lines: noInit, timedOut: false, exitCode: 0 })).toMatchObject({ class: 'clean-failure', kind: 'no /init in the image', mounted: true });
    const initDies = k('Run /init as init process', 'Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000007');
    expect(classifyBoot({ lines: initDies, timedOut: false, exitCode: 0 })).toMatchObject({ class: 'clean-failure', kind: 'init failed' });
  });

  it('the init marker is a boot; dropbear listening is noted', () => {
    const lines = [...k('Run /init as init process'), 'IOFS_MARKER stage=init uptime=2.01 mem_available_kb=1 mem_total_kb=2', 'IOFS_MARKER stage=sshd uptime=3.1 mem_available_kb=1 mem_total_kb=2'];
    expect(classifyBoot({ lines, timedOut: false, exitCode: null })).toMatchObject({ class: 'booted', kind: 'init and sshd', markers: ['init', 'sshd'] });
    expect(classifyBoot({ lines: lines.slice(0, 2), timedOut: false, exitCode: null })).toMatchObject({ class: 'booted', kind: 'init' });
  });

  it('trouble after the init marker still makes a crash', () => {
    const lines = ['IOFS_MARKER stage=init uptime=2.01 mem_available_kb=1 mem_total_kb=2', ...kasanInErofs.slice(3)];
    expect(classifyBoot({ lines, timedOut: false, exitCode: 0 }).class).toBe('crash');
  });

  it('silence until the bound is a hang; the hung-task detector is a hang with a trace', () => {
    expect(classifyBoot({ lines: k('Run /init as init process'), timedOut: true, exitCode: null })).toMatchObject({ class: 'hang', kind: 'timeout', line: expect.stringContaining('Run /init') });
    const hung = k('INFO: task swapper:1 blocked for more than 20 seconds.', 'Call Trace:', ' schedule+0x10/0x20', ' z_erofs_read_folio+0x10/0x20', 'Kernel panic - not syncing: hung_task: blocked tasks');
    expect(classifyBoot({ lines: hung, timedOut: false, exitCode: 0 })).toMatchObject({ class: 'hang', kind: 'hung-task', owner: 'erofs' });
  });

  it('a TCG timer flake long before the initrd is not blamed on the image', () => {
    const lines = k("Kernel panic - not syncing: IO-APIC + timer doesn't work!  Boot with apic=debug and send a report.");
    expect(classifyBoot({ lines, timedOut: false, exitCode: 0 })).toMatchObject({ class: 'clean-failure', kind: 'emulation flake (not the image)' });
  });

  it('QEMU ending with no words at all is a crash (a triple fault reset)', () => {
    expect(classifyBoot({ lines: k('Run /init as init process'), timedOut: false, exitCode: 0 })).toMatchObject({ class: 'crash', kind: 'reset without a message' });
  });

  it('reads frames from RIP lines and call traces, skipping guesses', () => {
    expect(traceFrames(k('RIP: 0010:ovl_lookup+0x10/0x200', ' ? erofs_iget+0x1/0x2', ' lookup_one_len+0x3/0x4'))).toEqual(['ovl_lookup', 'lookup_one_len']);
  });
});

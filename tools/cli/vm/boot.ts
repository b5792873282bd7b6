import type { Command } from 'commander';
import type { AccelMode } from '../../vm/index.js';
import { action } from '../action.js';
import { accelOption, archOption, icountOption, parsePositiveInt } from '../options.js';

interface BootOpts {
  kernel: string;
  initrd?: string;
  disk?: string[];
  append: string;
  memory: number;
  accel: AccelMode;
  icount?: number | 'auto';
  arch?: string;
  gdb?: number | true;
}

export function registerVmBoot(group: Command): void {
  group
    .command('boot')
    .description('boot a kernel and initrd with the serial console on this terminal (Ctrl-A X quits)')
    .requiredOption('-k, --kernel <bzImage>', 'kernel image (arch/x86/boot/bzImage)')
    .option('-i, --initrd <file>', 'initrd (cpio or EROFS, e.g. from `iofs initrd pack`)')
    .option('-a, --append <args>', 'extra kernel command line, after "console=ttyS0 panic=-1 no_timer_check"', '')
    .option('-d, --disk <image>', 'attach a read-only virtio drive (/dev/vda, then /dev/vdb…); repeatable', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('-m, --memory <MiB>', 'guest memory in MiB', parsePositiveInt, 512)
    .addOption(accelOption())
    .addOption(icountOption())
    .option('--gdb [port]', "start halted with QEMU's gdbstub on 127.0.0.1:PORT (default: a free port), nokaslr, and print the gdb command", parsePositiveInt)
    .addOption(archOption('the kernel\'s architecture: arm64 boots an Image in qemu-system-aarch64 -machine virt (TCG), console ttyAMA0'))
    .addHelpText(
      'after',
      `
The serial console and QEMU's monitor share this terminal:
  Ctrl-A X  quit        Ctrl-A C  monitor/console        Ctrl-A H  help
With panic=-1 and -no-reboot, a kernel panic ends QEMU. The guest's port 22 is
forwarded to a free port on 127.0.0.1 (printed); an initrd packed with the
workspace key (<cache>/keys/id_ed25519.pub) accepts it.

Examples:
  iofs vm boot --kernel "$(iofs kernel build | tail -1)" --initrd guest.cpio.gz
  iofs vm boot -k bzImage -i guest.erofs -a "rdinit=/bin/sh" --accel tcg
  iofs vm boot -k bzImage -i two-stage.cpio.gz --disk guest.erofs   # the userspace two-stage boot
  iofs vm boot -k "$(iofs kernel build --config guest erofs initrd-erofs distro gdb | tail -1)" -i guest.erofs --gdb
      # then the printed gdb command: hbreak initrd_erofs_mount_root, continue, lx-dmesg …
  iofs vm boot --arch arm64 -k "$(iofs kernel build --arch arm64 | tail -1)" -i guest-arm64.erofs`,
    )
    .action(
      action(async (_ctx, opts: BootOpts) => {
        const { bootInteractive } = await import('../../vm/index.js');
        const { getArch, hostArchName, isForeign } = await import('../../common/arch.js');
        const arch = opts.arch === undefined ? undefined : await getArch(opts.arch);
        const r = await bootInteractive({
          kernel: opts.kernel,
          initrd: opts.initrd,
          append: opts.append,
          memoryMiB: opts.memory,
          accel: opts.accel,
          icountShift: opts.icount,
          ...(opts.disk ? { disks: opts.disk } : {}),
          ...(opts.gdb === undefined ? {} : { gdb: opts.gdb === true ? 0 : opts.gdb }),
          ...(arch ? { machine: arch.qemu } : {}),
          ...(arch && isForeign(arch) ? { tcgOnlyBecause: `an ${arch.name} kernel on an ${hostArchName()} host` } : {}),
        });
        return r.exitCode;
      }),
    );
}

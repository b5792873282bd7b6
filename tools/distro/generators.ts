/**
 * Distribution initrds, made by the distributions' own generators from
 * Debian's packages, for a kernel the workbench built:
 *  - initramfs-tools: `mkinitramfs` (Debian's default; klibc run-init hands
 *    over), with Debian's /etc/initramfs-tools configuration;
 *  - dracut: `dracut` with its systemd module (systemd's switch-root hands
 *    over), not host-only;
 *  - busybox: the workbench's own busybox initrd (test-vms/handover/busybox/),
 *    whose /init ends in busybox switch_root, as embedded systems do.
 *
 * A generator expects the kernel's modules in /lib/modules/<release> and
 * mkinitramfs its config in /boot/config-<release>. Neither is installed on
 * the host: the generator runs in a private mount namespace (unshare -m)
 * where <work>/boot is bound over /boot and <work>/modules (from the build's
 * `make modules_install`) over /usr/lib/modules. The one host change is an
 * empty /usr/lib/modules directory to bind onto, which every Debian system
 * with a kernel package has anyway.
 *
 * The fixed handover tool (a companion) goes in as the distribution would
 * ship it: a generator hook copies it over the packaged one, as an updated
 * package's hook would install it. `companions: false` makes the image with
 * the packaged tools, to show what they do unfixed.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { InfraError, InputError } from '../common/errors.js';
import { log } from '../common/log.js';
import { runLogged } from './run.js';

export const GENERATORS = ['initramfs-tools', 'dracut'] as const;
export type Generator = (typeof GENERATORS)[number];

/** What a generator needs of the kernel. */
export interface GeneratorKernel {
  /** `make kernelrelease`, e.g. 7.3.4 */
  release: string;
  /** The out-of-tree build directory (has .config, Makefile, modules.order). */
  buildDir: string;
}

export interface GenerateOptions {
  generator: Generator;
  kernel: GeneratorKernel;
  /** The cpio image to write (the generator's own compression: zstd for both). */
  output: string;
  /** A scratch directory (created; kept, with the generator's log, for the run directory). */
  workDir: string;
  /**
   * The fixed handover tools to install, if any. initramfs-tools hands over
   * with busybox's run-init applet when busybox is installed (BUSYBOX=auto,
   * Debian's default: initramfs-tools recommends busybox), else with klibc's
   * run-init; both are replaced.
   */
  fixed?: { runInit?: string; busybox?: string };
  /**
   * An uncompressed cpio to put in front of the image, as a microcode
   * package's hook does (initramfs-tools' prepend_earlyinitramfs): what a
   * machine with intel-microcode or amd64-microcode installed boots.
   * initramfs-tools only.
   */
  earlyCpio?: string;
}

const shellQuote = (p: string): string => `'${p.replace(/'/g, "'\\''")}'`;

/**
 * The initramfs-tools hook that installs the fixed tools over the packaged
 * ones, as updated klibc-utils and busybox packages' own hooks would: klibc's
 * run-init, and busybox with every applet link (hard links) it has in the
 * image. Runs after /usr/share/initramfs-tools/hooks. Pure.
 */
export function fixedToolsHook(fixed: { runInit?: string; busybox?: string }): string {
  const lines = [
    '#!/bin/sh',
    '# Installed by the workbench: the handover tools with the fixes in kernel-patches/companions/,',
    '# as updated klibc-utils and busybox packages would install them.',
    'PREREQ=""',
    'prereqs() { echo "$PREREQ"; }',
    'case "$1" in prereqs) prereqs; exit 0 ;; esac',
    'set -e',
  ];
  if (fixed.runInit) lines.push(`cp -f ${shellQuote(fixed.runInit)} "\${DESTDIR}/usr/bin/run-init"`);
  if (fixed.busybox) {
    lines.push(
      'if [ -e "${DESTDIR}/usr/bin/busybox" ]; then',
      '	old=$(stat -c %i "${DESTDIR}/usr/bin/busybox")',
      `	cp -f ${shellQuote(fixed.busybox)} "\${DESTDIR}/usr/bin/.busybox.fixed"`,
      '	find "${DESTDIR}" -xdev -inum "$old" | while read -r f; do ln -f "${DESTDIR}/usr/bin/.busybox.fixed" "$f"; done',
      '	rm -f "${DESTDIR}/usr/bin/.busybox.fixed"',
      'fi',
    );
  }
  lines.push('');
  return lines.join('\n');
}

/**
 * The initramfs-tools hook that prepends an early cpio with the generator's
 * own function, as intel-microcode's and amd64-microcode's hooks do. Pure.
 */
export function earlyCpioHook(earlyCpio: string): string {
  return [
    '#!/bin/sh',
    '# Installed by the workbench: an early cpio in front of the image, as a microcode package\'s hook puts it.',
    'PREREQ=""',
    'prereqs() { echo "$PREREQ"; }',
    'case "$1" in prereqs) prereqs; exit 0 ;; esac',
    'set -e',
    '. /usr/share/initramfs-tools/hook-functions',
    `prepend_earlyinitramfs ${shellQuote(earlyCpio)}`,
    '',
  ].join('\n');
}

/** The generator's command line, run inside the private namespace. Pure. */
export function generatorCommand(o: Pick<GenerateOptions, 'generator' | 'kernel' | 'output'>, confDir: string, tmpDir: string): string[] {
  if (o.generator === 'initramfs-tools') return ['mkinitramfs', '-d', confDir, '-o', o.output, o.kernel.release];
  return [
    'dracut', '--force', '--quiet', '--no-hostonly', '--no-hostonly-cmdline', '--kver', o.kernel.release,
    '--tmpdir', tmpDir, '--add', 'systemd systemd-initrd rootfs-block', '--zstd', o.output,
  ];
}

/**
 * The shell run by `unshare --mount --propagation private`: bind the
 * kernel's /boot and modules where the generator looks, then exec it. Pure.
 */
export function namespaceScript(): string {
  return 'set -e; mount --bind "$1" /boot; mount --bind "$2" /usr/lib/modules; shift 2; exec "$@"';
}

/** <work>/boot/config-<release> and <work>/modroot/lib/modules/<release>/ from the build. */
async function kernelFiles(o: GenerateOptions, logFile: string): Promise<{ bootDir: string; modulesDir: string }> {
  const bootDir = path.join(o.workDir, 'boot');
  const modRoot = path.join(o.workDir, 'modroot');
  await fs.mkdir(bootDir, { recursive: true });
  await fs.copyFile(path.join(o.kernel.buildDir, '.config'), path.join(bootDir, `config-${o.kernel.release}`));
  // modules_install writes modules.builtin and runs depmod: what the generators read (the test kernels build every driver in).
  await runLogged(['make', '-s', '-C', o.kernel.buildDir, `INSTALL_MOD_PATH=${modRoot}`, 'modules_install'], logFile);
  const modulesDir = path.join(modRoot, 'lib', 'modules');
  if (!existsSync(path.join(modulesDir, o.kernel.release))) {
    throw new InfraError(`make modules_install left no ${path.join(modulesDir, o.kernel.release)}`, { hint: `see ${logFile}` });
  }
  return { bootDir, modulesDir };
}

/** A private copy of /etc/initramfs-tools, plus the hook installing the fixed tools when there are any. */
async function initramfsToolsConf(o: GenerateOptions): Promise<string> {
  const conf = path.join(o.workDir, 'initramfs-tools');
  if (!existsSync('/etc/initramfs-tools/initramfs.conf')) {
    throw new InfraError('initramfs-tools is not installed (/etc/initramfs-tools/initramfs.conf is missing)', { hint: 'run scripts/setup (apt-get install initramfs-tools)' });
  }
  await fs.cp('/etc/initramfs-tools', conf, { recursive: true });
  if (o.fixed?.runInit || o.fixed?.busybox) {
    const hook = path.join(conf, 'hooks', 'zz-iofs-fixed-tools');
    await fs.mkdir(path.dirname(hook), { recursive: true });
    await fs.writeFile(hook, fixedToolsHook(o.fixed), { mode: 0o755 });
  }
  if (o.earlyCpio) {
    const hook = path.join(conf, 'hooks', 'zz-iofs-early-cpio');
    await fs.mkdir(path.dirname(hook), { recursive: true });
    await fs.writeFile(hook, earlyCpioHook(path.resolve(o.earlyCpio)), { mode: 0o755 });
  }
  return conf;
}

/** Make the distribution's initrd for the kernel; returns the cpio image's path. */
export async function generateInitrd(o: GenerateOptions): Promise<string> {
  if (!(GENERATORS as readonly string[]).includes(o.generator)) throw new InputError(`unknown generator "${o.generator}": valid are ${GENERATORS.join(', ')}`);
  if (o.earlyCpio && o.generator !== 'initramfs-tools') {
    throw new InputError(`an early cpio is put in front by initramfs-tools' hook here; ${o.generator} makes its own from firmware files (dracut --early-microcode)`);
  }
  await fs.mkdir(o.workDir, { recursive: true });
  const logFile = path.join(o.workDir, 'generator.log');
  await fs.writeFile(logFile, '');
  const { bootDir, modulesDir } = await kernelFiles(o, logFile);
  if (!existsSync('/usr/lib/modules')) {
    log.info('creating the empty /usr/lib/modules the generators expect (bound over in a private namespace, never written)');
    await fs.mkdir('/usr/lib/modules', { recursive: true });
  }
  const confDir = o.generator === 'initramfs-tools' ? await initramfsToolsConf(o) : '';
  const tmpDir = path.join(o.workDir, 'tmp');
  await fs.mkdir(tmpDir, { recursive: true });
  const fixedNames = [o.fixed?.runInit ? 'klibc run-init' : '', o.fixed?.busybox ? 'busybox' : ''].filter(Boolean);
  log.step(`generating the ${o.generator} initrd for ${o.kernel.release}${fixedNames.length ? ` (with the fixed ${fixedNames.join(' and ')})` : ''}`);
  const argv = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', namespaceScript(), 'iofs-generator', bootDir, modulesDir, ...generatorCommand(o, confDir, tmpDir)];
  await runLogged(argv, logFile, { env: { TMPDIR: tmpDir } });
  if (!existsSync(o.output)) throw new InfraError(`${o.generator} exited 0 but wrote no ${o.output}`, { hint: `see ${logFile}` });
  return o.output;
}

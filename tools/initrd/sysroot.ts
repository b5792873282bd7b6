/**
 * Another architecture's guest userland, from Debian's own packages: the
 * architecture's userland packages (kernel-patches/arches.json) and their
 * dependencies are fetched with `apt-get download` through a private apt
 * configuration for that architecture (its own sources list, lists, cache
 * and an empty dpkg status: the host's dpkg never hears of the
 * architecture, no multiarch is enabled), and unpacked with dpkg-deb -x
 * into <cache>/sysroots/<debian arch>-<release>-<hash>. The manifest's
 * binaries and their ELF closure are then read there (elf.ts, build.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { debianCodename, privateAptRunner } from '../common/apt.js';
import { isForeign, type Arch } from '../common/arch.js';
import { InfraError } from '../common/errors.js';
import { log } from '../common/log.js';
import { run } from '../common/process.js';
import type { Sysroot } from './elf.js';

export interface SysrootRecord {
  debianArch: string;
  release: string;
  /** The packages asked for (arches.json). */
  requested: string[];
  /** Every package unpacked, with its version. */
  packages: Array<{ name: string; version: string }>;
  createdAt: string;
}

/** Where a sysroot of these packages lives. Pure. */
export function planSysrootDir(cache: string, debianArch: string, release: string, packages: readonly string[]): string {
  const hash = createHash('sha256').update([...packages].sort().join('\n')).digest('hex').slice(0, 12);
  return path.join(cache, 'sysroots', `${debianArch}-${release}-${hash}`);
}

/**
 * The package names of `apt-cache depends --recurse` output: the unindented
 * lines, without virtual packages (<debconf-2.0>), each once. Pure.
 */
export function parseDependsRecurse(text: string): string[] {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '' || /^\s/.test(line) || line.startsWith('<')) continue;
    names.add(line.trim().replace(/:[a-z0-9]+$/, ''));
  }
  return [...names].sort();
}

/** The sysroot for `arch`'s guest userland; undefined when the host is that architecture (its own files are used). */
export async function archSysroot(arch: Arch, cache: string): Promise<Sysroot | undefined> {
  if (!isForeign(arch)) return undefined;
  return { root: await ensureSysroot(cache, arch.debianArch, arch.userland.packages), multiarch: arch.userland.multiarch };
}

/** Fetch and unpack the packages (once; an existing sysroot is reused as it stands). Returns the sysroot's path. */
export async function ensureSysroot(cache: string, debianArch: string, packages: readonly string[]): Promise<string> {
  const release = await debianCodename();
  const dest = planSysrootDir(cache, debianArch, release, packages);
  if (existsSync(path.join(dest, '.iofs-sysroot.json'))) return dest;
  const work = path.join(cache, 'sysroots', `.${path.basename(dest)}.tmp-${process.pid}`);
  const debs = path.join(cache, 'sysroots', 'debs', `${debianArch}-${release}`);
  await fs.rm(work, { recursive: true, force: true });
  await fs.mkdir(path.join(work, 'root'), { recursive: true });
  await fs.mkdir(debs, { recursive: true });
  try {
    const aptDir = path.join(cache, 'sysroots', 'apt', `${debianArch}-${release}`);
    await fs.mkdir(aptDir, { recursive: true });
    const status = path.join(aptDir, 'status');
    // An empty dpkg status: nothing counts as installed, the host's amd64 packages least of all.
    if (!existsSync(status)) await fs.writeFile(status, '');
    log.step(`guest userland for ${debianArch}: fetching ${packages.join(', ')} and their dependencies from Debian ${release} (private apt configuration)`);
    const apt = await privateAptRunner(aptDir, release, 'deb', debs, [
      '-o', `APT::Architecture=${debianArch}`, '-o', `APT::Architectures=${debianArch}`, '-o', `Dir::State::status=${status}`,
    ]);
    const names = parseDependsRecurse(
      await apt.run('apt-cache', ['depends', '--recurse', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', ...packages]),
    );
    await apt.run('apt-get', ['-q', 'download', ...names], debs);
    const record: SysrootRecord = { debianArch, release, requested: [...packages], packages: [], createdAt: new Date().toISOString() };
    const files = (await fs.readdir(debs)).filter((f) => f.endsWith(`_${debianArch}.deb`) || f.endsWith('_all.deb'));
    for (const name of names) {
      const deb = files.filter((f) => f.startsWith(`${name}_`)).sort().pop();
      if (!deb) throw new InfraError(`apt-get download left no .deb of ${name} in ${debs}`);
      await run('dpkg-deb', ['-x', path.join(debs, deb), path.join(work, 'root')]);
      const version = (await run('dpkg-deb', ['-f', path.join(debs, deb), 'Version'])).stdout.trim();
      record.packages.push({ name, version });
    }
    await fs.writeFile(path.join(work, 'root', '.iofs-sysroot.json'), JSON.stringify(record, null, 2) + '\n');
    await fs.mkdir(path.dirname(dest), { recursive: true });
    // Renamed into place whole: an interrupted fetch never leaves a sysroot that looks complete.
    await fs.rename(path.join(work, 'root'), dest).catch((err: NodeJS.ErrnoException) => {
      if (!existsSync(path.join(dest, '.iofs-sysroot.json'))) throw err;
    });
    log.step(`guest userland for ${debianArch}: ${record.packages.length} packages unpacked in ${dest}`);
    return dest;
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/**
 * The robot's "debian" start: Debian's own kernel configuration for the
 * tree's base, the .config that Debian's linux-headers-<abi>-amd64 package
 * ships (source package `linux`), at the version of the base's Debian
 * package. The package is looked up and downloaded through the private
 * sources list of tools/common/apt.ts (the machine's apt setup untouched, no
 * mirror named here); only its .config is kept, in
 * <cache>/sources/debian-config/<version>/ with a record.json, and reused
 * afterwards without the network.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { debianCodename, privateAptRunner } from '../common/apt.js';
import { withAtomicOutput } from '../common/atomic.js';
import { InfraError, InputError } from '../common/errors.js';
import { sha256File } from '../common/hash.js';
import { log } from '../common/log.js';
import { run } from '../common/process.js';
import { cacheDir } from '../common/paths.js';
import { parseAptShow, upstreamVersion, type KernelBase } from '../kernel/index.js';

/** What a cached Debian configuration is: which package it came from (record.json). */
export interface DebianConfigRecord {
  package: string;
  version: string;
  suite: string;
  /** sha256 of the .deb, checked against the suite's index. */
  sha256: string;
}

/**
 * Appended before the configuration's own fragments for the debian start.
 * Debian's config names signing keys and certificates of Debian's build
 * (debian/certs/...), which this tree does not have, and asks for BTF, which
 * needs pahole; the series does not need debug information either (and the
 * robot compiles faster without it). The other debug-info choices are unset
 * too, so the choice lands on NONE whatever Kconfig's choice rules are.
 */
export const DEBIAN_NEUTRALISE = [
  '# robot (debian start): Debian build keys and BTF are not available here',
  'CONFIG_SYSTEM_TRUSTED_KEYS=""',
  'CONFIG_SYSTEM_REVOCATION_KEYS=""',
  'CONFIG_MODULE_SIG_KEY="certs/signing_key.pem"',
  '# CONFIG_DEBUG_INFO_BTF is not set',
  'CONFIG_DEBUG_INFO_NONE=y',
  '# CONFIG_DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT is not set',
  '# CONFIG_DEBUG_INFO_DWARF4 is not set',
  '# CONFIG_DEBUG_INFO_DWARF5 is not set',
].join('\n');

/** The Debian architecture whose configuration is taken; the robot builds for the host, so the host must be x86_64. */
const DEBIAN_ARCH = 'amd64';

/**
 * The apt-cache search pattern for a version's amd64 headers packages: the
 * ABI begins with the upstream major.minor (7.3.4+deb13, 6.12.118+deb12,
 * 6.1.0-57). Pure.
 */
export function headersSearchPattern(debianVersion: string): string {
  const [major, minor] = upstreamVersion(debianVersion).split('.');
  return `^linux-headers-${major}\\.${minor}\\.[0-9].*-${DEBIAN_ARCH}$`;
}

/** One `apt-cache show` stanza of a headers package. */
export interface HeadersCandidate {
  package: string;
  version: string;
  sha256: string;
  filename: string;
}

/**
 * Debian's own flavour among `apt-cache show` stanzas: built by source
 * `linux`, exactly `debianVersion`, named linux-headers-<abi>-amd64 with no
 * other flavour (-rt-, -cloud-) between. Pure.
 */
export function pickHeadersPackage(showText: string, debianVersion: string): HeadersCandidate[] {
  const plain = new RegExp(`^linux-headers-\\d+\\.\\d+\\.\\d+(?:[-+][a-z0-9.]+)?-${DEBIAN_ARCH}$`);
  const out: HeadersCandidate[] = [];
  for (const stanza of showText.split(/\n\s*\n/)) {
    const name = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
    const source = /^Source:\s*(\S+)/m.exec(stanza)?.[1];
    const fields = parseAptShow(stanza);
    if (!name || source !== 'linux' || !fields || fields.version !== debianVersion || !plain.test(name)) continue;
    if (!out.some((c) => c.package === name)) out.push({ package: name, ...fields });
  }
  return out;
}

/** record.json's content, or undefined when it is not one (then the config is fetched again). Pure. */
export function parseDebianConfigRecord(text: string): DebianConfigRecord | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const r = data as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof r[k] === 'string' && r[k] !== '' ? (r[k] as string) : undefined);
  const [pkg, version, suite, sha256] = [str('package'), str('version'), str('suite'), str('sha256')];
  if (!pkg || !version || !suite || !sha256 || !/^[0-9a-f]{64}$/.test(sha256)) return undefined;
  return { package: pkg, version, suite, sha256 };
}

/** Where the configuration of one Debian version is cached. */
export function debianConfigDir(debianVersion: string, cache = cacheDir()): string {
  return path.join(cache, 'sources', 'debian-config', debianVersion);
}

/**
 * Debian's configuration for the base: the cached one, else fetched.
 * Returns the path of the config and its record.
 */
export async function debianConfig(base: KernelBase, cache = cacheDir()): Promise<{ config: string; record: DebianConfigRecord }> {
  if (process.arch !== 'x64') {
    throw new InputError(`the debian start builds Debian's ${DEBIAN_ARCH} configuration, but this host is ${process.arch} (the robot builds for the host)`, {
      hint: 'leave the debian configuration out with --config, or run the robot on an x86_64 machine',
    });
  }
  const { suite, version } = await wantedVersion(base);
  const dir = debianConfigDir(version, cache);
  const cached = await readCached(dir);
  if (cached) return cached;
  await withAtomicOutput(dir, (tmp) => fetchConfig(base, suite, version, tmp, cache));
  const fetched = await readCached(dir);
  if (!fetched) throw new InfraError(`${dir} has no config and record.json after fetching them`);
  return fetched;
}

async function readCached(dir: string): Promise<{ config: string; record: DebianConfigRecord } | undefined> {
  const config = path.join(dir, 'config');
  const record = parseDebianConfigRecord(await fs.readFile(path.join(dir, 'record.json'), 'utf8').catch(() => ''));
  return record && existsSync(config) ? { config, record } : undefined;
}

/**
 * The suite and Debian version whose headers are wanted: bases.json's for a
 * base fetched from a suite; else the installed linux-source package's, in
 * the machine's own release.
 */
async function wantedVersion(base: KernelBase): Promise<{ suite: string; version: string }> {
  if (base.debianSuite && base.debianVersion) return { suite: base.debianSuite, version: base.debianVersion };
  const r = await run('dpkg-query', ['-W', '-f=${Version}', base.debianPackage], { okExitCodes: 'any' });
  if (r.exitCode !== 0 || !String(r.stdout).trim()) {
    throw new InputError(`${base.debianPackage} (base ${base.name}) is not installed: its version names the Debian configuration to take`, {
      hint: `install it: apt-get install ${base.debianPackage} (scripts/setup does)`,
    });
  }
  return { suite: await debianCodename(), version: String(r.stdout).trim() };
}

/** Look the headers package up, download it into `tmp`, keep only its .config and the record. */
async function fetchConfig(base: KernelBase, suite: string, version: string, tmp: string, cache: string): Promise<void> {
  await fs.mkdir(tmp, { recursive: true });
  const aptDir = path.join(cache, 'sources', 'debian-config', 'apt', suite);
  log.step(`debian config: looking up the ${DEBIAN_ARCH} headers of linux ${version} in ${suite} (private apt lists in ${aptDir})`);
  const apt = await privateAptRunner(aptDir, suite, 'deb', tmp, ['-o', `APT::Architecture=${DEBIAN_ARCH}`, '-o', `APT::Architectures=${DEBIAN_ARCH}`]);
  const names = (await apt.run('apt-cache', ['search', '--names-only', headersSearchPattern(version)])).split('\n').map((l) => l.split(' ')[0]).filter((n): n is string => !!n);
  const picked = names.length ? pickHeadersPackage(await apt.run('apt-cache', ['show', ...names]), version) : [];
  const pkg = onePackage(picked, base, suite, version);
  log.step(`debian config: downloading ${pkg.package} ${version}`);
  await apt.run('apt-get', ['-q', 'download', `${pkg.package}=${version}`]);
  const deb = (await fs.readdir(tmp)).find((f) => f.startsWith(`${pkg.package}_`) && f.endsWith('.deb'));
  if (!deb) throw new InfraError(`apt-get download ${pkg.package}=${version} left no .deb in ${tmp}`);
  const sum = await sha256File(path.join(tmp, deb));
  if (sum !== pkg.sha256) throw new InfraError(`${deb}: sha256 ${sum} does not match ${suite}'s index (${pkg.sha256}); not used`, { hint: 'run the robot again to download it afresh' });
  await fs.writeFile(path.join(tmp, 'config'), await extractDotConfig(path.join(tmp, deb)));
  await fs.rm(path.join(tmp, deb));
  const record: DebianConfigRecord = { package: pkg.package, version, suite, sha256: sum };
  await fs.writeFile(path.join(tmp, 'record.json'), `${JSON.stringify(record, null, 2)}\n`);
  log.info(`debian config: ${pkg.package} ${version} (sha256 ${sum.slice(0, 16)}…) cached`);
}

function onePackage(picked: HeadersCandidate[], base: KernelBase, suite: string, version: string): HeadersCandidate {
  if (picked.length === 1) return picked[0] as HeadersCandidate;
  if (picked.length > 1) throw new InfraError(`${suite} has several ${DEBIAN_ARCH} headers packages of linux ${version}: ${picked.map((p) => p.package).join(', ')}`);
  const installed = base.debianSuite ? `bases.json's debianVersion of base ${base.name}` : `the installed ${base.debianPackage}'s version`;
  throw new InputError(`Debian ${suite} has no linux-headers-<abi>-${DEBIAN_ARCH} package at version ${version} (${installed}), so there is no Debian configuration for base ${base.name}`, {
    hint: base.debianSuite
      ? `the suite may have moved on: check \`apt-cache policy\` of its linux-headers packages and update debianVersion in kernel-patches/bases.json (base ${base.name})`
      : `${suite} only carries the headers of its own point releases; run the debian configuration on a base that kernel-patches/bases.json fetches from a suite (one with debianSuite), or leave it out for base ${base.name} with --config <the other configurations>`,
  });
}

/** The .config of a headers .deb, read from its data tarball without unpacking the rest. */
async function extractDotConfig(deb: string): Promise<string> {
  // A pipe through sh with the file as $1: no word of it is interpreted.
  const r = await run('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xO --wildcards --no-wildcards-match-slash "./usr/src/linux-headers-*/.config"', 'sh', deb], { okExitCodes: 'any' });
  const text = r.stdout;
  if (r.exitCode !== 0 || !/^CONFIG_X86_64=y$/m.test(text)) {
    throw new InfraError(`${path.basename(deb)} has no x86_64 /usr/src/linux-headers-*/.config (dpkg-deb | tar: ${String(r.stderr).trim() || `exit ${r.exitCode}`})`);
  }
  return text;
}

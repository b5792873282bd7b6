/**
 * Where a base's source tarball comes from.
 *
 * Most bases are Debian packages the machine's own apt suites carry
 * (linux-source-6.12 and -6.1 in bookworm): scripts/setup installs them and
 * `tarball` is their /usr/src path. A base whose package lives in a suite
 * the machine does not list (linux-source-7.3 in trixie-backports) names that
 * suite in bases.json; its .deb is then fetched with apt through a private
 * sources list that points at the mirror the machine's apt sources already
 * use (read from them: no host name is written anywhere), downloaded and
 * extracted into the cache, never installed, the system's apt configuration
 * and state untouched. The .deb stays in the cache, so a machine that has
 * it no longer depends on the suite, which drops old point releases.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { InfraError, InputError } from '../common/errors.js';
import { writeFileAtomic } from '../common/atomic.js';
import { log } from '../common/log.js';
import { run } from '../common/process.js';
import { cacheDir } from '../common/paths.js';
import type { KernelBase } from './bases.js';
import { sha256File } from '../common/hash.js';
import { privateAptRunner } from '../common/apt.js';

/** What a fetched source is, recorded beside it (iofs-source.json). */
export interface SourceRecord {
  debianPackage: string;
  debianVersion: string;
  suite: string;
  sha256: string;
  /** Upstream kernel version in the package, e.g. 7.3.4. */
  version: string;
  tarball: string;
}

/** `apt-cache show` fields of the candidate (first stanza). Pure. */
export function parseAptShow(text: string): { version: string; sha256: string; filename: string } | undefined {
  const stanza = text.split(/\n\s*\n/)[0] ?? '';
  const field = (k: string): string | undefined => new RegExp(`^${k}:\\s*(\\S+)`, 'm').exec(stanza)?.[1];
  const version = field('Version');
  const sha256 = field('SHA256');
  const filename = field('Filename');
  return version && sha256 && filename ? { version, sha256, filename } : undefined;
}

/** 7.3.4-1~bpo13+1 -> 7.3.4. Pure. */
export function upstreamVersion(debianVersion: string): string {
  return debianVersion.replace(/^\d+:/, '').replace(/-[^-]*$/, '');
}

/** Where a suite-fetched package's files live: <cache>/sources/<package>/. */
export function sourcesDir(base: KernelBase, cache = cacheDir()): string {
  return path.join(cache, 'sources', base.debianPackage);
}

/**
 * The source tarball of a base: the installed package's path, or (for a
 * base with debianSuite) the tarball of the fetched, extracted .deb.
 */
export async function sourceTarball(base: KernelBase, cache = cacheDir()): Promise<{ tarball: string; record?: SourceRecord }> {
  if (!base.debianSuite) {
    if (!existsSync(base.tarball)) {
      throw new InputError(`kernel source tarball ${base.tarball} for base ${base.name} is missing`, {
        hint: `install the Debian package: apt-get install ${base.debianPackage} (scripts/setup does)`,
      });
    }
    return { tarball: base.tarball };
  }
  const record = await fetchSuitePackage(base, cache);
  return { tarball: record.tarball, record };
}

/**
 * The recorded version when its .deb is cached (no network); else ask the
 * suite: the recorded version if it still has it, else its newer one, taken
 * with a notice (the series must be re-verified on it).
 */
async function fetchSuitePackage(base: KernelBase, cache: string): Promise<SourceRecord> {
  const dir = sourcesDir(base, cache);
  const recorded = await readRecord(dir, base.debianVersion as string);
  if (recorded) return recorded;
  const apt = await privateApt(base, dir);
  const show = await apt.show();
  if (show.version !== base.debianVersion) {
    log.warn(
      `${base.debianSuite} now has ${base.debianPackage} ${show.version}, not ${base.debianVersion} as kernel-patches/bases.json records: taking ${show.version}. ` +
        `Re-verify the series with \`iofs patches status --base ${base.name}\`, then record version, debianVersion and debianSha256 in bases.json.`,
    );
  }
  const cached = await readRecord(dir, show.version);
  if (cached) return cached;
  return apt.downloadAndExtract(show);
}

async function readRecord(dir: string, debianVersion: string): Promise<SourceRecord | undefined> {
  const file = path.join(dir, debianVersion, 'iofs-source.json');
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  const rec = JSON.parse(text) as SourceRecord;
  return existsSync(rec.tarball) ? rec : undefined;
}

/** apt-get and apt-cache on a private sources list, lists and cache under `dir`. */
async function privateApt(base: KernelBase, dir: string) {
  const suite = base.debianSuite as string;
  log.step(`looking up ${base.debianPackage} in ${suite} (private apt lists in ${path.join(dir, 'apt')})`);
  const { run } = await privateAptRunner(path.join(dir, 'apt'), suite, 'deb', dir);
  return {
    async show() {
      const fields = parseAptShow(await run('apt-cache', ['show', base.debianPackage]));
      if (!fields) throw new InfraError(`${suite} has no ${base.debianPackage}`, { hint: `the suite may have moved on to another series; see kernel-patches/bases.json ${base.name}` });
      return fields;
    },
    async downloadAndExtract(fields: { version: string; sha256: string; filename: string }): Promise<SourceRecord> {
      log.step(`downloading ${base.debianPackage} ${fields.version} from ${suite}`);
      await run('apt-get', ['-q', 'download', `${base.debianPackage}=${fields.version}`]);
      const deb = path.join(dir, path.basename(fields.filename).replace(/%7e/gi, '~'));
      const debFile = existsSync(deb) ? deb : path.join(dir, path.basename(fields.filename));
      const sum = await sha256File(debFile);
      const pinned = fields.version === base.debianVersion ? base.debianSha256 : fields.sha256;
      if (sum !== fields.sha256 || sum !== pinned) {
        await fs.rm(debFile, { force: true });
        throw new InfraError(`${path.basename(debFile)}: sha256 ${sum} does not match the index (${fields.sha256}) or bases.json (${pinned}); removed`);
      }
      return extract(base, dir, debFile, fields, suite);
    },
  };
}

/** dpkg -x into <dir>/<version>.tmp, then rename: never a half-extracted source. */
async function extract(base: KernelBase, dir: string, deb: string, fields: { version: string; sha256: string }, suite: string): Promise<SourceRecord> {
  const dest = path.join(dir, fields.version);
  const tmp = `${dest}.tmp-${process.pid}`;
  await fs.rm(tmp, { recursive: true, force: true });
  log.step(`extracting ${path.basename(deb)}`);
  await run('dpkg', ['-x', deb, tmp]);
  const tarball = path.join(dest, base.tarball.replace(/^\/+/, ''));
  if (!existsSync(path.join(tmp, base.tarball))) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw new InfraError(`${path.basename(deb)} has no ${base.tarball} (check tarball in bases.json ${base.name})`);
  }
  const record: SourceRecord = {
    debianPackage: base.debianPackage,
    debianVersion: fields.version,
    suite,
    sha256: fields.sha256,
    version: upstreamVersion(fields.version),
    tarball,
  };
  await fs.rm(dest, { recursive: true, force: true });
  await fs.rename(tmp, dest);
  await writeFileAtomic(path.join(dest, 'iofs-source.json'), `${JSON.stringify(record, null, 2)}\n`);
  log.info(`${base.debianPackage} ${fields.version} (sha256 ${fields.sha256.slice(0, 16)}…) in ${dest}`);
  return record;
}

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
import { execa } from 'execa';
import { InfraError, InputError } from '../common/errors.js';
import { writeFileAtomic } from '../common/atomic.js';
import { log } from '../common/log.js';
import { cacheDir } from '../common/paths.js';
import type { KernelBase } from './bases.js';
import { sha256File } from '../common/hash.js';

/** One apt source entry: where a suite's packages come from. */
export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
  signedBy?: string;
}

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

/** Parse deb822 (.sources) text into source entries. Pure. */
export function parseDeb822Sources(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m && !line.startsWith('#')) fields.set((m[1] as string).toLowerCase(), (m[2] as string).trim());
    }
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue;
    if ((fields.get('enabled') ?? 'yes').toLowerCase() === 'no') continue;
    const words = (k: string): string[] => (fields.get(k) ?? '').split(/\s+/).filter(Boolean);
    const signedBy = fields.get('signed-by');
    for (const uri of words('uris')) {
      out.push({ uri, suites: words('suites'), components: words('components'), ...(signedBy ? { signedBy } : {}) });
    }
  }
  return out;
}

/** Parse one-line-style (sources.list) text into source entries. Pure. */
export function parseOneLineSources(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const m = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const signedBy = /(?:^|\s)signed-by=(\S+)/.exec(m[1] ?? '')?.[1];
    out.push({ uri: m[2] as string, suites: [m[3] as string], components: (m[4] ?? '').split(/\s+/).filter(Boolean), ...(signedBy ? { signedBy } : {}) });
  }
  return out;
}

/**
 * The machine's Debian archive: the source entry that carries the release
 * itself (suite = the codename, e.g. bookworm) with the main component. Pure.
 */
export function pickArchive(sources: AptSource[], codename: string): AptSource | undefined {
  return sources.find((s) => s.suites.includes(codename) && s.components.includes('main'));
}

/** The private sources list for one suite of that archive. Pure. */
export function privateSourcesList(archive: AptSource, suite: string): string {
  const keyring = archive.signedBy && archive.signedBy.startsWith('/') ? archive.signedBy : '/usr/share/keyrings/debian-archive-keyring.gpg';
  return `deb [signed-by=${keyring}] ${archive.uri} ${suite} main\n`;
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

/** The machine's apt source entries, from sources.list and sources.list.d. */
async function machineSources(): Promise<AptSource[]> {
  const out: AptSource[] = [];
  const list = await fs.readFile('/etc/apt/sources.list', 'utf8').catch(() => '');
  out.push(...parseOneLineSources(list));
  const dir = '/etc/apt/sources.list.d';
  for (const name of (await fs.readdir(dir).catch(() => [] as string[])).sort()) {
    const text = await fs.readFile(path.join(dir, name), 'utf8').catch(() => '');
    if (name.endsWith('.sources')) out.push(...parseDeb822Sources(text));
    else if (name.endsWith('.list')) out.push(...parseOneLineSources(text));
  }
  return out;
}

async function codename(): Promise<string> {
  const text = await fs.readFile('/etc/os-release', 'utf8').catch(() => '');
  const name = /^VERSION_CODENAME=(\S+)/m.exec(text)?.[1]?.replace(/"/g, '');
  if (!name) throw new InfraError('cannot tell the Debian release from /etc/os-release (no VERSION_CODENAME)');
  return name;
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
  const release = await codename();
  const archive = pickArchive(await machineSources(), release);
  if (!archive) {
    throw new InfraError(`no apt source for Debian ${release} (main) in /etc/apt/sources.list or sources.list.d`, {
      hint: `the ${suite} suite is fetched from the mirror the machine already uses; add the ${release} archive to apt's sources`,
    });
  }
  const aptDir = path.join(dir, 'apt');
  for (const d of ['lists/partial', 'cache/archives/partial']) await fs.mkdir(path.join(aptDir, d), { recursive: true });
  const sourcesList = path.join(aptDir, 'sources.list');
  await fs.writeFile(sourcesList, privateSourcesList(archive, suite));
  const opts = [
    '-o', `Dir::Etc::sourcelist=${sourcesList}`, '-o', 'Dir::Etc::sourceparts=-',
    '-o', `Dir::State::Lists=${path.join(aptDir, 'lists')}`, '-o', `Dir::Cache=${path.join(aptDir, 'cache')}`,
    '-o', 'APT::Get::List-Cleanup=0', '-o', 'APT::Sandbox::User=root',
  ];
  const run = async (tool: string, args: string[], cwd = dir): Promise<string> => {
    const r = await execa(tool, [...opts, ...args], { cwd, reject: false }).catch((err: unknown) => {
      throw new InfraError(`${tool} is not installed (${(err as Error).message}); run scripts/setup`);
    });
    if (r.exitCode !== 0) {
      throw new InfraError(`${tool} ${args.join(' ')} (private sources list for ${suite}) failed: ${String(r.stderr).trim().split('\n').slice(-3).join(' | ')}`, {
        hint: `the list is ${sourcesList}; check the network to the machine's Debian mirror`,
      });
    }
    return String(r.stdout);
  };
  log.step(`looking up ${base.debianPackage} in ${suite} (private apt lists in ${aptDir})`);
  await run('apt-get', ['-q', 'update']);
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
  const r = await execa('dpkg', ['-x', deb, tmp], { reject: false });
  if (r.exitCode !== 0) throw new InfraError(`dpkg -x ${deb} failed: ${String(r.stderr).trim()}`);
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

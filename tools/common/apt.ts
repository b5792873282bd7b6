/**
 * Debian's archive through apt, without touching the system's apt setup: the
 * machine's own sources are read to find its mirror (no host name is ever
 * written in the repository), and a private sources list for one suite, with
 * its own lists and cache under a directory of ours, is what apt-get and
 * apt-cache see. Used for packages the machine's suites do not carry
 * (linux-source-7.3 in trixie-backports) and for source packages (the
 * handover tools the workbench patches), which bookworm's deb-only sources
 * do not list.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InfraError } from './errors.js';
import { run as runProgram } from './process.js';

/** One apt source entry: where a suite's packages come from. */
export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
  signedBy?: string;
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

/** The private sources list for one suite of that archive: binary (deb) or source (deb-src) packages. Pure. */
export function privateSourcesList(archive: AptSource, suite: string, type: 'deb' | 'deb-src' = 'deb'): string {
  const keyring = archive.signedBy && archive.signedBy.startsWith('/') ? archive.signedBy : '/usr/share/keyrings/debian-archive-keyring.gpg';
  return `${type} [signed-by=${keyring}] ${archive.uri} ${suite} main\n`;
}

/** The machine's apt source entries, from sources.list and sources.list.d. */
export async function machineSources(): Promise<AptSource[]> {
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

export async function debianCodename(): Promise<string> {
  const text = await fs.readFile('/etc/os-release', 'utf8').catch(() => '');
  const name = /^VERSION_CODENAME=(\S+)/m.exec(text)?.[1]?.replace(/"/g, '');
  if (!name) throw new InfraError('cannot tell the Debian release from /etc/os-release (no VERSION_CODENAME)');
  return name;
}

/**
 * Run apt-get / apt-cache on a private sources list for `suite` (lists and
 * cache under `aptDir`), after one `apt-get update` of that list.
 * `extraOptions` are more `-o` settings (another architecture's lists). Errors say
 * which command failed, with apt's last lines, and where the list is.
 */
export async function privateAptRunner(
  aptDir: string,
  suite: string,
  type: 'deb' | 'deb-src',
  defaultCwd: string,
  extraOptions: string[] = [],
): Promise<{ run(tool: string, args: string[], cwd?: string): Promise<string> }> {
  const release = await debianCodename();
  const archive = pickArchive(await machineSources(), release);
  if (!archive) {
    throw new InfraError(`no apt source for Debian ${release} (main) in /etc/apt/sources.list or sources.list.d`, {
      hint: `the ${suite} suite is fetched from the mirror the machine already uses; add the ${release} archive to apt's sources`,
    });
  }
  for (const d of ['lists/partial', 'cache/archives/partial']) await fs.mkdir(path.join(aptDir, d), { recursive: true });
  const sourcesList = path.join(aptDir, 'sources.list');
  await fs.writeFile(sourcesList, privateSourcesList(archive, suite, type));
  const opts = [
    '-o', `Dir::Etc::sourcelist=${sourcesList}`, '-o', 'Dir::Etc::sourceparts=-',
    '-o', `Dir::State::Lists=${path.join(aptDir, 'lists')}`, '-o', `Dir::Cache=${path.join(aptDir, 'cache')}`,
    '-o', 'APT::Get::List-Cleanup=0', '-o', 'APT::Sandbox::User=root',
    ...extraOptions,
  ];
  const run = async (tool: string, args: string[], cwd = defaultCwd): Promise<string> => {
    // A missing tool is run()'s "not installed" error; a failure is explained here, with the list.
    const r = await runProgram(tool, [...opts, ...args], { cwd, okExitCodes: 'any' });
    if (r.exitCode !== 0) {
      throw new InfraError(`${tool} ${args.join(' ')} (private sources list for ${suite}) failed: ${String(r.stderr).trim().split('\n').slice(-3).join(' | ')}`, {
        hint: `the list is ${sourcesList}; check the network to the machine's Debian mirror`,
      });
    }
    return String(r.stdout);
  };
  await run('apt-get', ['-q', 'update']);
  return { run };
}

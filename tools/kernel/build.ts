/**
 * `iofs kernel build`: configure a kernel tree from fragments and build it
 * out of tree (O=) with make, incrementally.
 *
 * Build directory: <cache>/builds/<base>[-<arch>]-<variant>[-<tree id>]-<config hash>
 * (no arch part for x86_64, the keys from before the arch axis).
 * Keyed by base, source variant and the fragments' content, NOT by the
 * series: the developer's loop edits the tree and rebuilds in the same O=
 * directory; the series hash is recorded in iofs-build.json instead.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { writeFileAtomic } from '../common/atomic.js';
import { ExitCode, InfraError, InputError, IofsError } from '../common/errors.js';
import { log, progress } from '../common/log.js';
import { cacheDir } from '../common/paths.js';
import { archFragments, getArch, isForeign, type Arch } from '../common/arch.js';
import { getBase, patchesDir, type KernelBase } from './bases.js';
import {
  configHash,
  findDroppedSymbols,
  formatDropped,
  fragmentLabel,
  parseConfigFragment,
  parseDotConfig,
  resolveFragment,
  type DroppedSymbol,
  type Fragment,
} from './config.js';
import { dirtyPaths, git } from '../git/index.js';
import { buildRecordIn } from './build-record.js';
import { lockPathFor, noteLockChild, withLock } from './lock.js';
import { prepareTree, pristineTree, externalTree, type KernelTree } from './tree.js';
import { applySeries, seriesState, type SeriesState } from '../git/index.js';
import { readSeries, seriesHash } from '../git/index.js';

export const defaultFragments = ['guest', 'erofs'];

export type SourceVariant = 'pristine' | 'patched' | 'tree';

export interface BuildRequest {
  /** Base name from kernel-patches/bases.json, e.g. "6.12". */
  base: string;
  /** A developer's own kernel git checkout instead of the prepared tree. */
  tree?: string;
  /** With `tree`: where the series starts (default: tag base-<name>, else HEAD, which gets that tag). */
  baseRef?: string;
  /** Config fragment names (kernel-patches/configs/<name>.config) or paths. Empty: guest + erofs. */
  fragments: string[];
  /** Architecture from kernel-patches/arches.json (default: its default, x86_64); its fragment replacements apply. */
  arch?: string;
  /** false: build the pristine base, without the series. */
  withPatches: boolean;
  /** Cache root (default: see cacheDir(): $IOFS_CACHE, $XDG_CACHE_HOME/iofs or ~/.cache/iofs). */
  cache?: string;
  /** make -j (default os.availableParallelism()). */
  jobs?: number;
  /** Make targets (default: the default target, bzImage and modules if enabled). */
  targets?: string[];
  /** Stops make (SIGTERM to it and its compilers); the build directory stays consistent for the next build. */
  signal?: AbortSignal;
  /**
   * A prefix of the series (`patches status`' bisectable column): a symbol a
   * fragment asks for that no Kconfig of this tree defines yet (a later
   * patch adds it) is not an error. A defined symbol that Kconfig drops
   * still is.
   */
  allowUndefinedSymbols?: boolean;
}

export interface BuildResult {
  /** The boot image QEMU's -kernel takes: bzImage on x86_64, Image on arm64 (the name predates the arch axis). */
  bzImage: string;
  buildDir: string;
  /** JSON metadata file written next to the build (base, versions, hashes, durations). */
  metadataPath: string;
  /** `make kernelrelease`, what `uname -r` prints in the guest. */
  kernelRelease: string;
}

export interface BuildMetadata {
  base: string;
  /** Architecture name from kernel-patches/arches.json (absent in metadata written before the arch axis: x86_64). */
  arch?: string;
  baseVersion: string;
  variant: SourceVariant;
  tree: { path: string; head: string; baseRef: string; baseCommit: string; commitsOnBase: number; dirty: boolean };
  /** KCIDB patchset hash of kernel-patches/<base>/series ("" for none / pristine). */
  seriesHash: string;
  /**
   * How the built tree relates to that series (patched/tree variants):
   * applied, partial, base (no commits) or diverged (edited commits,
   * or a series updated since it was applied). null for pristine; absent
   * in records written before it was recorded.
   */
  seriesState?: SeriesState['state'] | null;
  fragments: { name: string; path: string; sha256: string }[];
  configHash: string;
  kernelRelease: string;
  ccache: boolean;
  jobs: number;
  reconfigured: boolean;
  durations: { configSeconds: number; buildSeconds: number };
  artifacts: {
    bzImage: { path: string; bytes: number };
    vmlinux: { path: string; bytes: number };
    config: string;
    buildLog: string;
  };
  finishedAt: string;
}

/** Where a build of this source and config lives. Pure. */
export function planBuildDir(opts: {
  cache: string;
  base: string;
  /** Absent or x86_64: no arch part, so the build directories from before the arch axis stay valid. */
  arch?: string;
  variant: SourceVariant;
  treePath: string;
  configHash: string;
}): string {
  const treeId = opts.variant === 'tree' ? `-${createHash('sha256').update(path.resolve(opts.treePath)).digest('hex').slice(0, 8)}` : '';
  // Pristine builds sit beside the pristine tree (see pristineTreePath) so ccache shares objects.
  const root = opts.variant === 'pristine' ? path.join(opts.cache, 'pristine') : opts.cache;
  const arch = opts.arch === undefined || opts.arch === 'x86_64' ? '' : `-${opts.arch}`;
  return path.join(root, 'builds', `${opts.base}${arch}-${opts.variant}${treeId}-${opts.configHash.slice(0, 12)}`);
}

/**
 * ARCH and CROSS_COMPILE for make, through the environment so every make
 * (config, build, kernelrelease) sees them. Nothing for the host's own
 * architecture: the existing builds' environment stays as it was. Pure.
 */
export function archMakeEnv(arch: Pick<Arch, 'name' | 'kernelArch' | 'crossCompile'>, host?: string): Record<string, string> {
  return isForeign(arch, host) ? { ARCH: arch.kernelArch, CROSS_COMPILE: arch.crossCompile } : {};
}

/** The first compiler/make errors of a build log, with a little context. Pure. */
export function firstErrors(logText: string, max = 3, context = 3): string {
  const lines = logText.split('\n');
  const picked = new Set<number>();
  let found = 0;
  for (let i = 0; i < lines.length && found < max; i++) {
    if (/(\berror:|\bError \d+|undefined reference to|\*\*\*)/.test(lines[i] as string)) {
      found++;
      for (let j = Math.max(0, i - context); j <= Math.min(lines.length - 1, i + context); j++) picked.add(j);
    }
  }
  let prev = -2;
  const out: string[] = [];
  for (const i of [...picked].sort((a, b) => a - b)) {
    if (i !== prev + 1 && out.length > 0) out.push('  ...');
    out.push(`  ${lines[i]}`);
    prev = i;
  }
  return out.join('\n');
}

interface MakeEnv {
  /** The build directory's lock: make's pid is recorded in it. */
  lockFile: string;
  tree: string;
  buildDir: string;
  cc: string[];
  env: Record<string, string>;
  jobs: number;
  signal?: AbortSignal;
}

/**
 * The caller's environment minus what would silently redirect Kconfig
 * (KCONFIG_CONFIG moves .config, CONFIG_ renames every symbol).
 */
function makeEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && k !== 'KCONFIG_CONFIG' && k !== 'CONFIG_') env[k] = v;
  }
  return { ...env, KBUILD_BUILD_USER: 'iofs', KBUILD_BUILD_HOST: 'iofs' };
}

async function hasCcache(): Promise<boolean> {
  const r = await execa('ccache', ['--version'], { reject: false }).catch(() => undefined);
  return r?.exitCode === 0;
}

/** Run make with O=, appending to build.log; returns nothing, throws with the first errors. */
async function runMake(m: MakeEnv, args: string[], logFile: string, label: string): Promise<void> {
  const out = createWriteStream(logFile, { flags: 'a' });
  // A full disk fails the log's writes too: note it and keep going, make's own errors say more.
  let logError: NodeJS.ErrnoException | undefined;
  out.on('error', (e: NodeJS.ErrnoException) => (logError ??= e));
  out.write(`\n### ${new Date().toISOString()} make ${args.join(' ')}\n`);
  const p = progress(label);
  // make deletes the target it was writing when it gets SIGTERM, so an interrupted build resumes cleanly.
  const proc = execa('nice', ['-n', '10', 'make', '-C', m.tree, `O=${m.buildDir}`, `-j${m.jobs}`, ...m.cc, ...args], {
    env: m.env,
    extendEnv: false,
    // A patch that adds a Kconfig symbol makes make's syncconfig ask for it; with no
    // stdin it takes the default, as olddefconfig would, instead of waiting forever.
    stdin: 'ignore',
    reject: false,
    all: true,
    buffer: false,
    ...(m.signal ? { cancelSignal: m.signal } : {}),
  });
  await noteLockChild(m.lockFile, proc.pid);
  // This run's output also in memory (first MiB and last MiB), for the error report when the log lost its end.
  const head: string[] = [];
  let headBytes = 0;
  let tail = '';
  let rest = '';
  proc.all?.on('data', (chunk: Buffer) => {
    if (!logError) out.write(chunk);
    const text = chunk.toString('utf8');
    if (headBytes < 1 << 20) {
      head.push(text);
      headBytes += text.length;
    } else tail = (tail + text).slice(-(1 << 20));
    const parts = (rest + text).split('\n');
    rest = parts.pop() ?? '';
    for (const l of parts) {
      const mm = /^\s+([A-Z0-9_]+)\s+(\S+)/.exec(l);
      if (mm) p.update(`${mm[1]} ${mm[2]}`);
    }
  });
  const r = await proc;
  await new Promise<void>((resolve) => out.end(resolve));
  if (m.signal?.aborted) {
    p.done('interrupted');
    throw new IofsError(`${label}: interrupted; make stopped, the log is kept (${logFile}) and the next build resumes where this one stopped`, {
      exitCode: ExitCode.INTERRUPTED,
    });
  }
  if (r.exitCode !== 0) {
    const what = ['make', ...args].join(' ');
    const output = `${head.join('')}${tail ? `\n...\n${tail}` : ''}`;
    const errors = firstErrors(output);
    const logNote = logError ? `log (incomplete: ${logError.code ?? logError.message}): ${logFile}` : `full log: ${logFile}`;
    if (logError?.code === 'ENOSPC' || (await diskFull(m.buildDir, output))) {
      throw new InfraError(`${what} failed in ${m.buildDir}: no space left on the filesystem holding it\n${errors}\n${logNote}`, {
        hint: `free space there (df -h ${m.buildDir}) and rerun: the build resumes where it stopped`,
      });
    }
    throw new InfraError(`${what} failed in ${m.buildDir} (exit ${r.exitCode})\n${errors}\n${logNote}`);
  }
  p.done();
}

interface ConfigStamp {
  configHash: string;
  fragments: string[];
}

/**
 * tinyconfig, then the fragments merged with the tree's own
 * scripts/kconfig/merge_config.sh -m, then olddefconfig.
 */
async function configure(m: MakeEnv, fragments: Fragment[], logFile: string): Promise<void> {
  await runMake(m, ['tinyconfig'], logFile, 'config: tinyconfig');
  const dotConfig = path.join(m.buildDir, '.config');
  const r = await execa(
    path.join(m.tree, 'scripts', 'kconfig', 'merge_config.sh'),
    ['-m', '-O', m.buildDir, dotConfig, ...fragments.map((f) => f.path)],
    { cwd: m.tree, env: m.env, extendEnv: false, reject: false, all: true },
  );
  await fs.appendFile(logFile, `\n### merge_config.sh\n${String(r.all ?? '')}\n`);
  if (r.exitCode !== 0) throw new InfraError(`merge_config.sh failed (exit ${r.exitCode}); see ${logFile}\n${String(r.all ?? '').slice(-2000)}`);
  await runMake(m, ['olddefconfig'], logFile, 'config: olddefconfig');
}

async function checkConfig(buildDir: string, fragments: Fragment[]): Promise<DroppedSymbol[]> {
  const text = await fs.readFile(path.join(buildDir, '.config'), 'utf8').catch(() => '');
  const requests = fragments.flatMap((f) => parseConfigFragment(f.content, fragmentLabel(f)));
  return findDroppedSymbols(requests, parseDotConfig(text));
}

const kconfigDefinition = (symbol: string): string => `^\\s*(menu)?config ${symbol}\\s*$`;

/** Does a Kconfig file of the checked-out tree define `symbol`? */
async function definedInTree(tree: string, symbol: string): Promise<boolean> {
  const r = await execa('git', ['grep', '-q', '-E', kconfigDefinition(symbol), '--', '*Kconfig*'], { cwd: tree, reject: false });
  return r.exitCode === 0;
}

/** Where each dropped symbol is defined (git grep for `config FOO` in Kconfig files), for the hint. */
async function locateSymbols(tree: string, symbols: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const s of symbols.slice(0, 20)) {
    const r = await execa('git', ['grep', '-n', '-E', kconfigDefinition(s), '--', '*Kconfig*'], {
      cwd: tree,
      reject: false,
    });
    const hit = String(r.stdout).split('\n').find(Boolean);
    if (!hit) {
      out.set(s, 'no Kconfig in this tree defines it (misspelt, or only in a patched tree?)');
      continue;
    }
    const [file, line] = hit.split(':');
    const kconfig = await fs.readFile(path.join(tree, file as string), 'utf8');
    const after = kconfig.split('\n').slice(Number(line), Number(line) + 25);
    const end = after.findIndex((l) => /^\s*(config|menuconfig|endmenu|menu|choice|endchoice|if|endif|source)\b/.test(l));
    const deps = (end >= 0 ? after.slice(0, end) : after)
      .filter((l) => /^\s*(depends on|select|visible if)\b/.test(l) || /^\s*depends on/.test(l))
      .map((l) => l.trim())
      .filter((l) => l.startsWith('depends on'));
    out.set(s, `defined in ${file}:${line}${deps.length ? ` (${deps.join('; ')})` : ''}`);
  }
  return out;
}

async function resolveSource(
  base: KernelBase,
  req: BuildRequest,
  cache: string,
): Promise<{ tree: KernelTree; variant: SourceVariant; seriesHash: string; seriesState: SeriesState['state'] | null }> {
  const series = await readSeries(patchesDir(base));
  const hash = await seriesHash(series.files);
  if (req.baseRef && !req.tree) throw new InputError('--base-ref needs --tree: the prepared tree\'s base is its base-<name> tag');
  if (req.tree) {
    if (!req.withPatches) log.warn('--no-patches has no effect with --tree: the tree is built as it stands');
    const tree = await externalTree(base, req.tree, req.baseRef ? { baseRef: req.baseRef } : {});
    return { tree, variant: 'tree', seriesHash: hash, seriesState: (await seriesState(tree, series.dir).catch(() => undefined))?.state ?? 'diverged' };
  }
  const prepared = await prepareTree(base, { cache });
  if (!req.withPatches) return { tree: await pristineTree(prepared, { cache }), variant: 'pristine', seriesHash: '', seriesState: null };
  // The prepared tree as it stands; if it is still exactly the base, apply the series first.
  await withLock(lockPathFor(cache, 'tree', prepared.path), `kernel tree ${prepared.path}`, async () => {
    const head = await git(prepared.path, ['rev-parse', 'HEAD']);
    if (head === prepared.baseCommit && series.files.length > 0) {
      const dirty = await dirtyPaths(prepared.path);
      if (dirty.length > 0) {
        log.warn(`${prepared.path} is at ${prepared.baseRef} with uncommitted edits: building it as it stands, without applying the series`);
        return;
      }
      log.step(`${prepared.path} is at ${prepared.baseRef}: applying the ${series.files.length}-patch series from ${series.dir}`);
      await applySeries(prepared, series.dir);
    }
  });
  const state = await seriesState(prepared, series.dir);
  if (state.state === 'diverged' || state.state === 'partial') {
    log.warn(
      `${prepared.path} does not carry exactly kernel-patches/${base.patches}/series ` +
        `(${state.matching} of its ${state.commits} commits match the ${state.patches} patches): building the tree as it stands. ` +
        `To build the series: iofs patches export (keep your edits) or git -C ${prepared.path} reset --hard ${prepared.baseRef} (drop them), then build again.`,
    );
  }
  return { tree: prepared, variant: 'patched', seriesHash: hash, seriesState: state.state };
}

export async function buildKernel(req: BuildRequest): Promise<BuildResult> {
  const cache = path.resolve(req.cache ?? cacheDir());
  const base = await getBase(req.base);
  const arch = await getArch(req.arch);
  const fragmentNames = archFragments(arch, req.fragments.length > 0 ? req.fragments : defaultFragments);
  const fragments: Fragment[] = [];
  for (const f of fragmentNames) fragments.push(await resolveFragment(f));
  const cfgHash = configHash(fragments);
  const { tree, variant, seriesHash: sHash, seriesState: sState } = await resolveSource(base, req, cache);
  const buildDir = planBuildDir({ cache, base: base.name, arch: arch.name, variant, treePath: tree.path, configHash: cfgHash });
  const jobs = req.jobs ?? os.availableParallelism();

  const buildLock = lockPathFor(cache, 'build', buildDir);
  const buildLocked = async (): Promise<BuildResult> => {
    await fs.mkdir(buildDir, { recursive: true });
    const logFile = path.join(buildDir, 'build.log');
    await fs.writeFile(logFile, `# iofs kernel build: ${tree.path} (${variant}) with ${fragmentNames.join(', ')}\n`);
    const ccache = await hasCcache();
    const env = { ...makeEnv(), ...archMakeEnv(arch) };
    if (ccache) {
      // One object cache for every tree and build dir of this workspace; paths
      // under the cache are made relative so identical sources hit across dirs.
      Object.assign(env, { CCACHE_DIR: path.join(cache, 'ccache'), CCACHE_BASEDIR: cache, CCACHE_NOHASHDIR: '1' });
    }
    const m: MakeEnv = { lockFile: buildLock, tree: tree.path, buildDir, cc: ccache ? [`CC=ccache ${env.CROSS_COMPILE ?? ''}gcc`] : [], env, jobs, ...(req.signal ? { signal: req.signal } : {}) };

    const stampFile = path.join(buildDir, 'iofs-config.json');
    const stamp = (await fs
      .readFile(stampFile, 'utf8')
      .then((t) => JSON.parse(t) as ConfigStamp)
      .catch(() => undefined));
    const t0 = Date.now();
    let reconfigured = false;
    const droppedNow = async (): Promise<DroppedSymbol[]> => {
      const all = await checkConfig(buildDir, fragments);
      if (!req.allowUndefinedSymbols) return all;
      const kept: DroppedSymbol[] = [];
      for (const d of all) if (await definedInTree(tree.path, d.request.symbol)) kept.push(d);
      return kept;
    };
    let dropped = existsSync(path.join(buildDir, '.config')) && stamp?.configHash === cfgHash ? await droppedNow() : undefined;
    if (dropped === undefined || dropped.length > 0) {
      // New or changed fragments, no .config, or a tree whose Kconfig changed (a series applied): configure.
      log.step(`configuring ${buildDir}: tinyconfig + ${fragments.map(fragmentLabel).join(' + ')}`);
      await fs.rm(stampFile, { force: true });
      await configure(m, fragments, logFile);
      reconfigured = true;
      dropped = await droppedNow();
      if (dropped.length > 0) {
        const where = await locateSymbols(tree.path, dropped.map((d) => d.request.symbol));
        throw new InputError(
          `Kconfig dropped ${dropped.length} symbol(s) the config fragments asked for (${tree.path}):\n${formatDropped(dropped, where)}`,
          {
            hint: `usually a missing dependency: add it to the fragment; inspect with \`make -C ${tree.path} O=${buildDir} menuconfig\` (press / and type the symbol). Nothing was compiled.`,
          },
        );
      }
      await writeFileAtomic(stampFile, JSON.stringify({ configHash: cfgHash, fragments: fragmentNames } satisfies ConfigStamp, null, 2) + '\n');
    }
    const configSeconds = (Date.now() - t0) / 1000;

    const t1 = Date.now();
    log.step(`building ${tree.path} in ${buildDir} (-j${jobs}${ccache ? ', ccache' : ''})`);
    // With the gdb fragment, the lx-* helpers (vmlinux-gdb.py) are made too: only `all` would.
    const gdbScripts = parseDotConfig(await fs.readFile(path.join(buildDir, '.config'), 'utf8')).get('GDB_SCRIPTS') === 'y';
    await runMake(m, req.targets ?? [...arch.makeTargets, ...(gdbScripts ? ['scripts_gdb'] : [])], logFile, `build ${base.name}${arch.name === 'x86_64' ? '' : ` ${arch.name}`} ${variant}`);
    const buildSeconds = (Date.now() - t1) / 1000;

    const kr = await execa('make', ['-s', '-C', tree.path, `O=${buildDir}`, 'kernelrelease'], { env, extendEnv: false, reject: false });
    const kernelRelease = String(kr.stdout).trim().split('\n').pop() ?? '';
    if (kr.exitCode !== 0 || !kernelRelease) throw new InfraError(`make kernelrelease failed in ${buildDir}: ${String(kr.stderr)}`);
    const bzImage = path.join(buildDir, arch.image);
    const vmlinux = path.join(buildDir, 'vmlinux');
    const [bzStat, vmStat] = await Promise.all([fs.stat(bzImage).catch(() => undefined), fs.stat(vmlinux).catch(() => undefined)]);
    if (!bzStat) throw new InfraError(`make succeeded but ${bzImage} does not exist; see ${logFile}`);
    const head = await git(tree.path, ['rev-parse', 'HEAD']);
    const commitsOnBase = Number(await git(tree.path, ['rev-list', '--count', `${tree.baseCommit}..HEAD`]).catch(() => '0'));
    const dirty = (await git(tree.path, ['status', '--porcelain', '--untracked-files=no'])).trim().length > 0;
    const metadata: BuildMetadata = {
      base: base.name,
      arch: arch.name,
      baseVersion: base.version,
      variant,
      tree: { path: tree.path, head, baseRef: tree.baseRef, baseCommit: tree.baseCommit, commitsOnBase, dirty },
      seriesHash: sHash,
      seriesState: sState,
      fragments: fragments.map((f) => ({ name: f.name, path: f.path, sha256: createHash('sha256').update(f.content).digest('hex') })),
      configHash: cfgHash,
      kernelRelease,
      ccache,
      jobs,
      reconfigured,
      durations: { configSeconds, buildSeconds },
      artifacts: {
        bzImage: { path: bzImage, bytes: bzStat.size },
        vmlinux: { path: vmlinux, bytes: vmStat?.size ?? 0 },
        config: path.join(buildDir, '.config'),
        buildLog: logFile,
      },
      finishedAt: new Date().toISOString(),
    };
    const metadataPath = buildRecordIn(buildDir);
    await writeFileAtomic(metadataPath, JSON.stringify(metadata, null, 2) + '\n');
    return { bzImage, buildDir, metadataPath, kernelRelease };
  };
  return withLock(buildLock, `build directory ${buildDir}`, () => explainFullDisk(buildDir, () => buildLocked()));
}

/**
 * Did make fail because the disk filled up? Its tools say so in different
 * words (gcc: "No space left on device", kbuild's fixdep: "not all data was
 * written"), and some just fail: so also look at what is left.
 */
async function diskFull(dir: string, output: string): Promise<boolean> {
  if (/No space left on device|not all data was written to the output/.test(output)) return true;
  const st = await fs.statfs(dir).catch(() => undefined);
  return st !== undefined && st.bavail * st.bsize < 16 * 2 ** 20;
}

/** Our own writes into the build directory (log, stamps, metadata) failing on a full disk say so. */
async function explainFullDisk<T>(buildDir: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOSPC' && code !== 'EDQUOT') throw err;
    throw new InfraError(`no space left on the filesystem holding ${buildDir}: ${(err as Error).message}`, {
      hint: `free space there (df -h ${buildDir}) and rerun: the build resumes where it stopped`,
      cause: err,
    });
  }
}

/**
 * The robot's builds: one build directory per configuration, configured once
 * with the whole series applied, then compiled at every patch of it. Only the
 * directories holding the series' sources are compiled (`make init/
 * fs/erofs/`), as a reviewer would check a series on two cores; the
 * objects of the series' own sources are removed first so that each patch
 * compiles them, and shows their warnings, again.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { archFragments, getArch, isForeign } from '../common/arch.js';
import { InfraError } from '../common/errors.js';
import { run } from '../common/process.js';
import { findDroppedSymbols, firstErrors, parseConfigFragment, parseDotConfig, resolveFragment, type ConfigRequest, type KernelBase } from '../kernel/index.js';
import { setFragment, type RobotConfig } from './config.js';
import { DEBIAN_NEUTRALISE, debianConfig } from './debian-config.js';

export interface MakeResult {
  ok: boolean;
  output: string;
  seconds: number;
}

export interface ConfigBuild {
  config: RobotConfig;
  /** The base the tree is a worktree of (the debian start takes its Debian configuration). */
  base: KernelBase;
  tree: string;
  dir: string;
  jobs: number;
  env: Record<string, string>;
  /** Every symbol the configuration asks for, from its fragments and `set`. */
  requests: ConfigRequest[];
}

/** The caller's environment without what redirects Kconfig, and a fixed build identity. */
function makeEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, val] of Object.entries(process.env)) if (val !== undefined && k !== 'KCONFIG_CONFIG' && k !== 'CONFIG_') env[k] = val;
  return { ...env, KBUILD_BUILD_USER: 'iofs', KBUILD_BUILD_HOST: 'iofs', ...extra };
}

/** make in the tree with O=dir; the output goes to `logFile` (appended) and is returned. */
export async function make(b: Pick<ConfigBuild, 'tree' | 'dir' | 'jobs' | 'env'>, args: string[], logFile: string, env: Record<string, string> = {}): Promise<MakeResult> {
  const t0 = Date.now();
  await fs.appendFile(logFile, `\n### make ${args.join(' ')}\n`);
  // make's exit code is the cell's verdict, judged by the caller with the output in the log.
  const r = await run('nice', ['-n', '10', 'make', '-C', b.tree, `O=${b.dir}`, `-j${b.jobs}`, ...args], { env: { ...b.env, ...env }, extendEnv: false, okExitCodes: 'any' });
  const output = r.all;
  await fs.appendFile(logFile, `${output}\n### exit ${r.exitCode}\n`);
  return { ok: r.exitCode === 0, output, seconds: (Date.now() - t0) / 1000 };
}

/** A configuration's build directory and what it asks for; nothing is run. */
export async function configBuild(config: RobotConfig, base: KernelBase, tree: string, root: string, jobs: number): Promise<ConfigBuild> {
  // Unknown names fail here, naming arches.json's keys, before anything is built.
  const arch = await getArch(config.arch);
  const fragmentNames = archFragments(arch, config.fragments);
  const fragments = await Promise.all(fragmentNames.map((f) => resolveFragment(f)));
  // Later requests override earlier ones, as merge_config.sh merges them: `set` has the last word.
  const bySymbol = new Map<string, ConfigRequest>();
  for (const r of [...fragments.flatMap((f) => parseConfigFragment(f.content, f.name)), ...parseConfigFragment(setFragment(config.set), `robot.json ${config.name}.set`)]) {
    bySymbol.set(r.symbol, r);
  }
  const requests = [...bySymbol.values()];
  const archEnv: Record<string, string> = { ARCH: arch.kernelArch, ...(isForeign(arch) ? { CROSS_COMPILE: arch.crossCompile } : {}) };
  return { config: { ...config, fragments: fragmentNames }, base, tree, dir: path.join(root, 'builds', config.name), jobs, env: makeEnv(archEnv), requests };
}

const TIP_CONFIG = 'iofs-tip.config';

/**
 * Make the configuration with the whole series applied (the tree is at its
 * tip): the start target (for debian, Debian's .config of the base), the
 * fragments and `set` merged, olddefconfig. A randconfig takes the fragments
 * and `set` as KCONFIG_ALLCONFIG, so the random choices respect them. Kept
 * as iofs-tip.config for every patch.
 */
export async function configureAtTip(b: ConfigBuild, logFile: string): Promise<void> {
  await fs.mkdir(b.dir, { recursive: true });
  const wanted = path.join(b.dir, 'iofs-wanted.config');
  const fragments = await Promise.all(b.config.fragments.map((f) => resolveFragment(f)));
  const debian = b.config.start === 'debian';
  // Debian's config names Debian's build keys and asks for BTF: neutralised first, so that the fragments and `set` still have the last word.
  await fs.writeFile(wanted, `${[...(debian ? [DEBIAN_NEUTRALISE] : []), ...fragments.map((f) => f.content), setFragment(b.config.set)].join('\n')}\n`);
  if (debian) {
    const { config, record } = await debianConfig(b.base);
    await fs.copyFile(config, path.join(b.dir, '.config'));
    await fs.appendFile(logFile, `\n### debian start: ${record.package} ${record.version} from ${record.suite} (sha256 ${record.sha256})\n`);
  } else {
    const start =
      b.config.start === 'randconfig'
        ? await make(b, ['randconfig'], logFile, { KCONFIG_SEED: String(b.config.seed), KCONFIG_ALLCONFIG: wanted })
        : await make(b, [b.config.start], logFile);
    if (!start.ok) throw new InfraError(`make ${b.config.start} failed for robot config ${b.config.name}\n${firstErrors(start.output)}\nlog: ${logFile}`);
  }
  const merge = await run(path.join(b.tree, 'scripts', 'kconfig', 'merge_config.sh'), ['-m', '-O', b.dir, path.join(b.dir, '.config'), wanted], { cwd: b.tree, env: b.env, extendEnv: false, okExitCodes: 'any' });
  await fs.appendFile(logFile, `\n### merge_config.sh\n${merge.all}\n`);
  if (merge.exitCode !== 0) throw new InfraError(`merge_config.sh failed for robot config ${b.config.name}; log: ${logFile}`);
  const old = await make(b, ['olddefconfig'], logFile);
  if (!old.ok) throw new InfraError(`make olddefconfig failed for robot config ${b.config.name}\n${firstErrors(old.output)}\nlog: ${logFile}`);
  await fs.copyFile(path.join(b.dir, '.config'), path.join(b.dir, TIP_CONFIG));
}

/**
 * The tip's configuration through this patch's Kconfig (olddefconfig), and
 * the requested symbols it drops among those this tree defines ("SYM=want,
 * got"): a symbol a later patch adds is not yet an error.
 */
export async function configureAtPatch(b: ConfigBuild, logFile: string): Promise<{ ok: true } | { ok: false; why: string; details: string[] }> {
  await fs.copyFile(path.join(b.dir, TIP_CONFIG), path.join(b.dir, '.config'));
  const old = await make(b, ['olddefconfig'], logFile);
  if (!old.ok) return { ok: false, why: 'make olddefconfig failed', details: firstErrors(old.output).split('\n') };
  const dotConfig = parseDotConfig(await fs.readFile(path.join(b.dir, '.config'), 'utf8'));
  const dropped = [];
  for (const d of findDroppedSymbols(b.requests, dotConfig)) if (await definedInTree(b.tree, d.request.symbol)) dropped.push(d);
  if (dropped.length === 0) return { ok: true };
  return {
    ok: false,
    why: `Kconfig dropped ${dropped.length} requested symbol(s)`,
    details: dropped.map((d) => `CONFIG_${d.request.symbol}=${d.request.value} (from ${d.request.fragment}) is ${d.actual}`),
  };
}

/** Does a Kconfig file of the checked-out tree define `symbol`? (git grep: 1 is "no") */
export async function definedInTree(tree: string, symbol: string): Promise<boolean> {
  const r = await run('git', ['grep', '-q', '-E', `^\\s*(menu)?config ${symbol}\\s*$`, '--', '*Kconfig*'], { cwd: tree, okExitCodes: [1] });
  return r.exitCode === 0;
}

/**
 * Compile the series' directories at this patch, its own sources afresh.
 * With `warnings`, W=1 and sparse on what is compiled (C=1). Returns make's
 * result and which of the series' sources this configuration compiled.
 */
export async function compileAtPatch(b: ConfigBuild, sources: readonly string[], dirs: readonly string[], logFile: string): Promise<MakeResult & { compiled: string[] }> {
  const objects = sources.map((s) => path.join(b.dir, s.replace(/\.c$/, '.o')));
  await Promise.all(objects.map((o) => fs.rm(o, { force: true })));
  const extra = b.config.warnings ? ['W=1', 'C=1', 'CHECK=sparse'] : [];
  const r = await make(b, [...extra, ...dirs], logFile);
  const compiled = sources.filter((_, i) => existsSync(objects[i] as string));
  return { ...r, compiled };
}

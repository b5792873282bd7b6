/**
 * Companions: the handover tools' fixes the workbench carries beside the
 * kernel series (kernel-patches/companions/), built from Debian's own source
 * packages so that a distribution's generator can put the fixed tool in the
 * initrd it makes, as an updated package would.
 *
 * Effects in order, each kept in the cache so a second run costs nothing:
 * the source package is downloaded once (apt through a private deb-src list,
 * the system's apt setup untouched), extracted fresh into a git tree, the
 * companion's series applied with `git am` (a patch that no longer applies is
 * named with its conflicting files), then built as the data file says.
 * <cache>/companions/<name>-<key>/ holds the tool, build.log and
 * iofs-companion.json; the key hashes the entry and its patches.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as v from 'valibot';
import { privateAptRunner, debianCodename } from '../common/apt.js';
import { writeFileAtomic } from '../common/atomic.js';
import { InfraError, InputError } from '../common/errors.js';
import { sha256File } from '../common/hash.js';
import { log } from '../common/log.js';
import { cacheDir, kernelPatchesDir } from '../common/paths.js';
import { chosenBy, dataObject, dataRecord, expected, list, loadJsonFile, nonEmptyList, nonEmptyString, str } from '../common/schema.js';
import { applySeries, git, iofsIdentityEnv, readSeries } from '../git/index.js';
import { withLock } from '../kernel/index.js';
import { runLogged } from './run.js';

export const companionsDir = path.join(kernelPatchesDir, 'companions');
export const companionsFile = path.join(companionsDir, 'companions.json');

const compileBuild = (kind: 'klcc' | 'gcc') =>
  dataObject({
    kind: v.literal(kind),
    sources: nonEmptyList(nonEmptyString('a source file in the package')),
    includes: v.optional(list(nonEmptyString('an include directory in the package')), []),
    defines: v.optional(list(nonEmptyString('NAME or NAME=VALUE')), []),
  });

const kconfigBuild = dataObject({
  kind: v.literal('kconfig'),
  config: nonEmptyString('a config file in the package, used as .config'),
  target: nonEmptyString('the make target that is the tool'),
});

const buildSchema = chosenBy((o) => {
  if (o.kind === 'klcc' || o.kind === 'gcc') return compileBuild(o.kind);
  if (o.kind === 'kconfig') return kconfigBuild;
  return 'kind: one of klcc, gcc, kconfig';
}, 'a build ({"kind": "klcc" | "gcc" | "kconfig", …})');

const companionSchema = dataObject({
  $comment: v.optional(str()),
  debianSource: nonEmptyString('a Debian source package name'),
  debianVersion: nonEmptyString('a Debian version, with its epoch if it has one'),
  tool: nonEmptyString('the file name of the built tool'),
  build: buildSchema,
});

export const companionsSchema = dataObject({
  $comment: v.optional(str()),
  companions: dataRecord(v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9.+-]*$/, expected('a lower-case name'))), companionSchema),
});

export type CompanionSpec = v.InferOutput<typeof companionSchema> & { name: string };
export type CompanionBuild = CompanionSpec['build'];

export async function loadCompanions(file = companionsFile): Promise<Map<string, CompanionSpec>> {
  const data = await loadJsonFile(companionsSchema, file);
  return new Map(Object.entries(data.companions).map(([name, c]) => [name, { ...c, name }]));
}

export async function companionSpec(name: string, file = companionsFile): Promise<CompanionSpec> {
  const all = await loadCompanions(file);
  const spec = all.get(name);
  if (!spec) throw new InputError(`no companion "${name}" in ${path.relative(process.cwd(), file)} (known: ${[...all.keys()].join(', ')})`);
  return spec;
}

/** What a built companion is, recorded beside it. */
export interface CompanionRecord {
  name: string;
  debianSource: string;
  debianVersion: string;
  patches: string[];
  tool: string;
  sha256: string;
  buildS: number;
}

/** The compiler command for a klcc/gcc build (static, one binary). Pure. */
export function compileCommand(build: Extract<CompanionBuild, { kind: 'klcc' | 'gcc' }>, srcDir: string, output: string): string[] {
  const cc = build.kind === 'klcc' ? 'klcc' : 'gcc';
  return [
    cc, '-static', '-O2',
    ...build.defines.map((d) => `-D${d}`),
    ...build.includes.map((i) => `-I${path.join(srcDir, i)}`),
    '-o', output,
    ...build.sources.map((s) => path.join(srcDir, s)),
  ];
}

/** The make commands for a kconfig build, out of tree in `objDir`. Pure. */
export function kconfigCommands(build: Extract<CompanionBuild, { kind: 'kconfig' }>, srcDir: string, objDir: string, jobs: number): string[][] {
  return [
    ['cp', path.join(srcDir, build.config), path.join(objDir, '.config')],
    // busybox's kconfig predates olddefconfig; with stdin closed, oldconfig takes the defaults.
    ['make', '-C', srcDir, `O=${objDir}`, 'oldconfig'],
    ['make', '-C', srcDir, `O=${objDir}`, `-j${jobs}`, build.target],
  ];
}

/** The cache key: the entry and the text of its patches. */
async function companionKey(spec: CompanionSpec, patchFiles: string[]): Promise<string> {
  const h = createHash('sha256').update(JSON.stringify(spec));
  for (const f of patchFiles) h.update(await fs.readFile(f));
  return h.digest('hex').slice(0, 12);
}

/** The .dsc of the source package, downloaded once into <cache>/companions/downloads/. */
async function sourcePackage(spec: CompanionSpec, cache: string): Promise<string> {
  const dir = path.join(cache, 'companions', 'downloads');
  await fs.mkdir(dir, { recursive: true });
  const plainVersion = spec.debianVersion.replace(/^\d+:/, '');
  const dsc = path.join(dir, `${spec.debianSource}_${plainVersion}.dsc`);
  if (existsSync(dsc)) return dsc;
  const release = await debianCodename();
  log.step(`downloading the ${spec.debianSource} ${spec.debianVersion} source package (${release}, private deb-src list)`);
  const apt = await privateAptRunner(path.join(dir, 'apt'), release, 'deb-src', dir);
  await apt.run('apt-get', ['-q', 'source', '--download-only', `${spec.debianSource}=${spec.debianVersion}`]).catch((err: unknown) => {
    throw new InfraError(`${release} has no source package ${spec.debianSource} ${spec.debianVersion}: ${(err as Error).message}`, {
      hint: `see which version it has (apt-cache showsrc ${spec.debianSource}), set debianVersion in ${path.relative(process.cwd(), companionsFile)} and check that the companion's patches still apply`,
    });
  });
  if (!existsSync(dsc)) throw new InfraError(`apt-get source did not leave ${dsc}`);
  return dsc;
}

/**
 * The companion's tool, built if the cache does not hold it yet. Returns its
 * path and record.
 */
export async function buildCompanion(name: string, cache = cacheDir()): Promise<{ tool: string; record: CompanionRecord }> {
  const spec = await companionSpec(name);
  const seriesDir = path.join(companionsDir, name);
  const series = await readSeries(seriesDir);
  const key = await companionKey(spec, series.files);
  const outDir = path.join(cache, 'companions', `${name}-${key}`);
  const tool = path.join(outDir, spec.tool);
  const recordFile = path.join(outDir, 'iofs-companion.json');
  const cached = async (): Promise<{ tool: string; record: CompanionRecord } | undefined> =>
    existsSync(recordFile) && existsSync(tool) ? { tool, record: JSON.parse(await fs.readFile(recordFile, 'utf8')) as CompanionRecord } : undefined;
  const ready = await cached();
  if (ready) return ready;
  // Two runs at once (iofs vm test -j) build it once: the second waits, then finds it cached.
  return withLock(path.join(cache, 'locks', `companion-${name}-${key}.lock`), `companion ${name}`, async () => (await cached()) ?? build(spec, series, key, outDir, cache));
}

async function build(spec: CompanionSpec, series: { names: string[] }, key: string, outDir: string, cache: string): Promise<{ tool: string; record: CompanionRecord }> {
  const name = spec.name;
  const seriesDir = path.join(companionsDir, name);
  const tool = path.join(outDir, spec.tool);
  const recordFile = path.join(outDir, 'iofs-companion.json');

  const t0 = Date.now();
  const dsc = await sourcePackage(spec, cache);
  await fs.rm(outDir, { recursive: true, force: true });
  await fs.mkdir(outDir, { recursive: true });
  const srcDir = path.join(outDir, 'src');
  const logFile = path.join(outDir, 'build.log');
  log.step(`building companion ${name}: ${spec.debianSource} ${spec.debianVersion} + ${series.names.length} patch(es) -> ${spec.tool}`);
  await runLogged(['dpkg-source', '--no-check', '-x', dsc, srcDir], logFile, { cwd: outDir });
  // A git tree, so the series applies as the kernel's does (git am, conflicts named).
  await git(srcDir, ['init', '-q']);
  await git(srcDir, ['add', '-A', '-f', '.']);
  await git(srcDir, ['commit', '-q', '--no-gpg-sign', '-m', `${spec.debianSource} ${spec.debianVersion} (Debian source)`], iofsIdentityEnv);
  const baseCommit = await git(srcDir, ['rev-parse', 'HEAD']);
  await applySeries({ path: srcDir, baseCommit, baseRef: `${spec.debianSource} ${spec.debianVersion}` }, seriesDir);

  if (spec.build.kind === 'kconfig') {
    const objDir = path.join(outDir, 'obj');
    await fs.mkdir(objDir);
    for (const argv of kconfigCommands(spec.build, srcDir, objDir, os.cpus().length)) await runLogged(argv, logFile, { cwd: outDir });
    await fs.copyFile(path.join(objDir, spec.build.target), tool);
  } else {
    await runLogged(compileCommand(spec.build, srcDir, tool), logFile, { cwd: outDir });
  }
  const record: CompanionRecord = {
    name,
    debianSource: spec.debianSource,
    debianVersion: spec.debianVersion,
    patches: series.names,
    tool: spec.tool,
    sha256: await sha256File(tool),
    buildS: Math.round((Date.now() - t0) / 100) / 10,
  };
  await writeFileAtomic(recordFile, `${JSON.stringify(record, null, 2)}\n`);
  log.info(`companion ${name}: ${tool} (${record.buildS}s)`);
  return { tool, record };
}

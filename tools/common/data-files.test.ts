/**
 * Every committed data file, parsed with its schema: a malformed bases.json,
 * manifest, scenario, matrix, demo.json or published bench result fails the
 * unit suite naming the file and the key, before anything builds or boots.
 * Beyond each schema, what one file says of another must hold: the
 * directories, fragments, manifests and scenarios it names exist.
 *
 * A new JSON file under kernel-patches/ or test-vms/ fails here until it is
 * given a schema below.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMatrix } from '../bench/matrix.js';
import { handoverRawSchema, loadHandoverBench } from '../bench/handover.js';
import { loadRawResults, summarySchema } from '../bench/results.js';
import { loadManifest } from '../initrd/manifest.js';
import { loadCompanions } from '../distro/companions.js';
import { loadBaseSet, patchesDir } from '../kernel/bases.js';
import { configsDir } from '../kernel/config.js';
import { loadKnownCrashes } from '../fuzz/known-crashes.js';
import { loadFuzzRecord } from '../fuzz/record.js';
import { loadDemoSpec } from '../report/demo.js';
import { listScenarios, loadScenario, type ImageSpec } from '../vm/scenario.js';
import { loadArchSet } from './arch.js';
import { loadRobotConfigs, loadRobotRecord } from '../robot/index.js';
import { kernelPatchesDir, repoRoot, testVmsDir } from './paths.js';
import { dataError, loadJsonFile } from './schema.js';

/** Git-ignored output that may sit in a working copy (see .gitignore): not committed data. */
const IGNORED_DIRS = new Set(['node_modules', '.cache', 'raw', 'runs']);
/** A benchmark run's copies of its scenarios (test-vms/bench/<record>/scenarios/, git-ignored). */
const isBenchScenarioCopy = (dir: string): boolean => path.basename(dir) === 'scenarios' && path.dirname(path.dirname(dir)) === path.join(testVmsDir, 'bench');

async function jsonFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory() && !IGNORED_DIRS.has(entry.name) && !isBenchScenarioCopy(p)) out.push(...(await jsonFilesUnder(p)));
    else if (entry.isFile() && entry.name.endsWith('.json')) out.push(p);
  }
  return out;
}

const rel = (file: string): string => path.relative(repoRoot, file);

/** A file the data file names must exist; the error names the data file and the key. */
function mustExist(file: string, at: Array<string | number>, target: string, what: string): void {
  if (!existsSync(target)) throw dataError(file, at, `${what} ${rel(target)} does not exist`);
}

function fragmentsExist(file: string, at: Array<string | number>, fragments: readonly string[]): void {
  fragments.forEach((f, i) => mustExist(file, [...at, i], path.join(configsDir, `${f}.config`), 'config fragment'));
}

function imageExists(file: string, at: string, spec: ImageSpec): void {
  if (spec.kind === 'pack') {
    mustExist(file, [at, 'manifest'], spec.manifest, 'manifest');
    for (const k of ['over', 'early'] as const) {
      const m = spec[k];
      if (m) mustExist(file, [at, k], m, 'manifest');
    }
    spec.append?.forEach((m, i) => mustExist(file, [at, 'append', i], m, 'manifest'));
  } else if (spec.kind === 'image') {
    mustExist(file, [at, 'image'], spec.image, 'image');
  }
}

async function checkBases(file: string): Promise<void> {
  const { bases } = await loadBaseSet(file);
  const scenarios = await listScenarios();
  for (const base of bases.values()) {
    mustExist(file, ['bases', base.name, 'patches'], patchesDir(base), 'series directory');
    for (const name of Object.keys(base.notApplicable ?? {})) {
      if (!scenarios.includes(name)) throw dataError(file, ['bases', base.name, 'notApplicable', name], 'no scenario has this name');
    }
  }
}

/** Every replacement fragment an architecture names exists, and every scenario it declares not applicable. */
async function checkArches(file: string): Promise<void> {
  const { arches } = await loadArchSet(file);
  for (const a of arches.values()) {
    for (const [from, to] of Object.entries(a.fragments)) {
      mustExist(file, ['arches', a.name, 'fragments', from], path.join(configsDir, `${from}.config`), 'config fragment');
      mustExist(file, ['arches', a.name, 'fragments', from], path.join(configsDir, `${to}.config`), 'config fragment');
    }
    const scenarios = await listScenarios();
    for (const name of Object.keys(a.notApplicable ?? {})) {
      if (!scenarios.includes(name)) throw dataError(file, ['arches', a.name, 'notApplicable', name], 'no scenario has this name');
    }
  }
}

async function checkScenario(file: string): Promise<void> {
  const s = await loadScenario(file);
  fragmentsExist(file, ['kernel', 'fragments'], s.kernel.fragments);
  imageExists(file, 'initrd', s.initrd);
  if (s.disk) imageExists(file, 'disk', s.disk);
}

async function checkManifest(file: string): Promise<void> {
  const m = await loadManifest(file);
  // Host binaries depend on the machine; the files the manifest ships with must be here.
  m.files.forEach((f, i) => mustExist(file, ['files', i, 'src'], f.src, 'source'));
}

async function checkMatrix(file: string): Promise<void> {
  const m = await loadMatrix(file);
  mustExist(file, ['manifest'], m.manifest, 'manifest');
  m.modes.forEach((mode, i) => {
    fragmentsExist(file, ['modes', i, 'kernel', 'fragments'], mode.kernel.fragments);
    mustExist(file, ['modes', i, 'initrd', 'manifest'], mode.initrd.manifest, 'manifest');
  });
}

async function checkDemo(file: string): Promise<void> {
  const spec = await loadDemoSpec(file);
  for (const [i, name] of spec.scenarios.entries()) {
    const s = await loadScenario(name).catch(() => {
      throw dataError(file, ['scenarios', i], `no scenario ${name} in test-vms/scenarios`);
    });
    if (!s.checks.some((c) => c.name === spec.mountTableCheck)) {
      throw dataError(file, ['mountTableCheck'], `scenario ${name} has no check named ${JSON.stringify(spec.mountTableCheck)}`);
    }
  }
}

/** Which schema (and cross-file checks) a data file gets, by where it is. */
/** Every row names a scenario that exists. */
async function checkHandoverBench(file: string): Promise<void> {
  const bench = await loadHandoverBench(file);
  const scenarios = await listScenarios();
  bench.rows.forEach((row, i) => {
    if (!scenarios.includes(row.scenario)) throw dataError(file, ['rows', i, 'scenario'], `no scenario ${row.scenario} in test-vms/scenarios/`);
  });
}

/** Every companion has its series directory, and every scenario names companions that exist. */
async function checkCompanions(file: string): Promise<void> {
  const companions = await loadCompanions(file);
  for (const name of companions.keys()) mustExist(file, ['companions', name], path.join(path.dirname(file), name, 'series'), 'series file');
  for (const name of await listScenarios()) {
    const s = await loadScenario(name);
    for (const [at, spec] of [['initrd', s.initrd], ['disk', s.disk]] as const) {
      if (spec?.kind !== 'pack') continue;
      for (const [guest, c] of Object.entries(spec.companions ?? {})) {
        if (!companions.has(c)) throw dataError(s.file, [at, 'companions', guest], `no companion "${c}" in ${rel(file)}`);
      }
    }
  }
}

const KINDS: Array<{ kind: string; matches: (rel: string) => boolean; check: (file: string) => Promise<unknown> }> = [
  { kind: 'bases', matches: (r) => r === 'kernel-patches/bases.json', check: checkBases },
  { kind: 'arches', matches: (r) => r === 'kernel-patches/arches.json', check: checkArches },
  { kind: 'scenario', matches: (r) => /^test-vms\/scenarios\/[^/]+\.json$/.test(r), check: checkScenario },
  { kind: 'manifest', matches: (r) => r.startsWith('test-vms/') && r.endsWith('/manifest.json'), check: checkManifest },
  { kind: 'matrix', matches: (r) => r === 'test-vms/bench/matrix.json', check: checkMatrix },
  { kind: 'demo', matches: (r) => r === 'test-vms/demo.json', check: checkDemo },
  { kind: 'bench raw.json', matches: (r) => /^test-vms\/bench\/results(-[\w.]+)?\/raw\.json$/.test(r), check: (f) => loadRawResults(path.dirname(f)) },
  { kind: 'fuzz known crashes', matches: (r) => r === 'test-vms/fuzz/known-crashes.json', check: (f) => loadKnownCrashes(f) },
  { kind: 'fuzz record', matches: (r) => /^test-vms\/fuzz\/results\/record(-[\w]+)?\.json$/.test(r), check: (f) => loadFuzzRecord(f) },
  { kind: 'handover bench', matches: (r) => r === 'test-vms/bench/handover.json', check: checkHandoverBench },
  { kind: 'handover bench raw.json', matches: (r) => /^test-vms\/bench\/handover(-[\w.-]+)?-results\/raw\.json$/.test(r), check: (f) => loadJsonFile(handoverRawSchema, f) },
  { kind: 'robot', matches: (r) => r === 'kernel-patches/robot/robot.json', check: (f) => loadRobotConfigs(f) },
  { kind: 'robot record', matches: (r) => /^kernel-patches\/robot\/records\/[\w.-]+\.json$/.test(r), check: (f) => loadRobotRecord(f) },
  { kind: 'companions', matches: (r) => r === 'kernel-patches/companions/companions.json', check: checkCompanions },
  { kind: 'bench summary.json', matches: (r) => /^test-vms\/bench\/results(-[\w.]+)?\/summary\.json$/.test(r), check: (f) => loadJsonFile(summarySchema, f) },
];

const files = (await Promise.all([kernelPatchesDir, testVmsDir].map(jsonFilesUnder))).flat().map(rel).sort();

describe('committed data files', () => {
  it.each(files)('%s is valid', async (file) => {
    const kind = KINDS.find((k) => k.matches(file));
    if (!kind) throw new Error(`${file}: no schema for this data file; give it one in tools/common/data-files.test.ts`);
    await kind.check(path.join(repoRoot, file));
  });

  it('include one of every kind', () => {
    for (const { kind, matches } of KINDS) expect(files.some(matches), kind).toBe(true);
  });
});

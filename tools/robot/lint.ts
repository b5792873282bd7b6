/**
 * The robot's source checks beyond the compiler: coccinelle's semantic
 * patches (what `make coccicheck MODE=report` runs) on the series' C
 * sources, and the series' .rst files as the docs build reads them. Like
 * kernel-doc, a patch fails only for the warnings it adds.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPool } from '../common/pool.js';
import { run } from '../common/process.js';
import { git } from '../git/index.js';
import { parseCocciReport, parseSphinxWarnings, untocedDocs, warningCell, type Cell, type Warning } from './plan.js';

/** What a lint check carries from one patch to the next: the last warnings, and the input they were computed from. */
export interface LintMemo {
  warnings?: Warning[];
  /** coccinelle: each source's report by its content (git blob id and path). */
  perFile?: Map<string, { output: string; broken: string[] }>;
}

async function existing(tree: string, files: Iterable<string>): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) if (await fs.stat(path.join(tree, f)).then((s) => s.isFile(), () => false)) out.push(f);
  return out.sort();
}

/** The blob ids of the files at the checked-out commit: equal ids, equal results. */
async function contentKey(tree: string, files: readonly string[]): Promise<string> {
  return files.length ? git(tree, ['ls-files', '-s', '--', ...files]) : '';
}

/**
 * The semantic patches scripts/coccicheck would run in report mode. Those
 * with OCaml script rules are left out: Debian's coccinelle needs an OCaml
 * compiler for them (two of 76 in 7.3), which the robot does not install.
 */
export async function cocciScripts(tree: string): Promise<string[]> {
  const out = await run('git', ['grep', '-l', '-e', 'virtual report', '--', 'scripts/coccinelle/*.cocci'], { cwd: tree, okExitCodes: [1] });
  const scripts = out.stdout.split('\n').filter(Boolean);
  const ocaml = new Set((await run('git', ['grep', '-l', '-E', '@ *(script|initialize|finalize):ocaml', '--', 'scripts/coccinelle/*.cocci'], { cwd: tree, okExitCodes: [1] })).stdout.split('\n'));
  return scripts.filter((s) => !ocaml.has(s)).sort();
}

/** One source's report from every semantic patch, and the semantic patches spatch failed on. */
interface CocciReport {
  output: string;
  broken: string[];
}

/** The include paths scripts/coccicheck passes (`buildDir`: a configured tree's generated headers). */
function cocciIncludes(tree: string, buildDir: string, arch: string): string[] {
  const dirs = [`${tree}/arch/${arch}/include`, `${buildDir}/arch/${arch}/include/generated`, `${tree}/include`, `${buildDir}/include`,
    `${tree}/arch/${arch}/include/uapi`, `${buildDir}/arch/${arch}/include/generated/uapi`, `${tree}/include/uapi`, `${buildDir}/include/generated/uapi`];
  return [...dirs.flatMap((d) => ['-I', d]), '--include', 'include/linux/compiler-version.h', '--include', 'include/linux/kconfig.h'];
}

/** Every semantic patch on one source, two spatch processes at a time. */
async function cocciOneFile(tree: string, includes: string[], scripts: string[], file: string): Promise<CocciReport> {
  const parts: string[] = new Array<string>(scripts.length);
  const broken: string[] = [];
  await runPool(scripts, 2, async (script, i) => {
    // spatch exits 0 with or without reports (stdout); non-zero is spatch failing, not a finding.
    const r = await run('spatch', ['-D', 'report', '--no-show-diff', '--very-quiet', '--no-includes', '--include-headers', '--cocci-file', script, ...includes, file], { cwd: tree, okExitCodes: 'any' });
    parts[i] = `### ${script} on ${file} (exit ${r.exitCode})\n${r.stdout}${r.exitCode === 0 ? '' : `\n${r.stderr}`}`;
    if (r.exitCode !== 0) broken.push(`${script} on ${file}: spatch exited ${r.exitCode}: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  });
  return { output: parts.join('\n'), broken };
}

/**
 * spatch in report mode over the series' C sources at this patch. A
 * source is checked once per content: a patch that leaves it unchanged
 * reuses its report (`memo.perFile`, keyed by blob id).
 */
export async function coccinelleCell(tree: string, buildDir: string, kernelArch: string, sources: Iterable<string>, patch: number, memo: LintMemo, logFile: string): Promise<Cell> {
  const check = 'coccinelle';
  const files = await existing(tree, sources);
  if (files.length === 0) {
    // Nothing to warn about yet: the patch that adds a source is compared with no warnings.
    memo.warnings = [];
    return { patch, check, status: 'n/a', summary: "none of the series' C sources exists yet" };
  }
  const t0 = Date.now();
  memo.perFile ??= new Map();
  const scripts = await cocciScripts(tree);
  const includes = cocciIncludes(tree, buildDir, kernelArch);
  const reports: CocciReport[] = [];
  let reused = 0;
  for (const file of files) {
    const key = `${await contentKey(tree, [file])}`;
    const known = memo.perFile.get(key);
    if (known) reused++;
    const report = known ?? (await cocciOneFile(tree, includes, scripts, file));
    if (!known && report.broken.length === 0) memo.perFile.set(key, report);
    reports.push(report);
  }
  const output = reports.map((r) => r.output).join('\n');
  await fs.mkdir(path.dirname(logFile), { recursive: true });
  await fs.writeFile(logFile, `# ${files.length} source(s), ${reused} unchanged since an earlier patch (their reports reused)\n${output}`);
  const broken = reports.flatMap((r) => r.broken);
  const seconds = (Date.now() - t0) / 1000;
  if (broken.length) return { patch, check, status: 'fail', summary: `spatch failed on ${broken.length} semantic patch(es)`, details: broken.slice(0, 6), log: logFile, seconds };
  const now = parseCocciReport(output, new Set(files), tree);
  const cell = { ...warningCell(patch, check, memo.warnings, now, logFile), seconds };
  memo.warnings = now;
  return cell;
}

/**
 * The series' .rst files as the docs build reads them, narrowed to what two
 * cores afford (a full `make htmldocs` takes most of an hour): each file is
 * built on its own by Debian's Sphinx with warnings as errors (syntax,
 * unknown directives and roles), and each must be listed in a toctree of its
 * directory's index.rst (the warning `make htmldocs` gives otherwise).
 * Cross-references to other documents are not resolved.
 */
export async function docsCell(tree: string, rstFiles: Iterable<string>, patch: number, memo: LintMemo, logFile: string): Promise<Cell> {
  const check = 'docs';
  const files = await existing(tree, rstFiles);
  if (files.length === 0) {
    memo.warnings = [];
    return { patch, check, status: 'n/a', summary: 'no .rst file of the series exists yet' };
  }
  const t0 = Date.now();
  const parts: string[] = [];
  const now: Warning[] = [];
  for (const file of files) {
    const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-docs-'));
    try {
      await fs.mkdir(path.join(scratch, 'src'));
      await fs.copyFile(path.join(tree, file), path.join(scratch, 'src', 'index.rst'));
      await fs.writeFile(path.join(scratch, 'src', 'conf.py'), "project = 'iofs robot docs check'\n");
      // Exit 1 is Sphinx's "warnings were errors": the parsed warnings are the verdict.
      const r = await run('sphinx-build', ['-q', '-W', '--keep-going', '-b', 'dummy', path.join(scratch, 'src'), path.join(scratch, 'out')], { okExitCodes: [1] });
      parts.push(`### sphinx-build ${file} (exit ${r.exitCode})\n${r.all}`);
      now.push(...parseSphinxWarnings(r.all, path.join(scratch, 'src', 'index.rst'), file));
    } finally {
      await fs.rm(scratch, { recursive: true, force: true });
    }
  }
  const indexes = new Map<string, string>();
  for (const f of files) {
    const index = path.join(path.dirname(f), 'index.rst');
    if (!indexes.has(index)) indexes.set(index, await fs.readFile(path.join(tree, index), 'utf8').catch(() => ''));
  }
  now.push(...untocedDocs(files, indexes));
  await fs.mkdir(path.dirname(logFile), { recursive: true });
  await fs.writeFile(logFile, parts.join('\n'));
  const cell = { ...warningCell(patch, check, memo.warnings, now, logFile), seconds: (Date.now() - t0) / 1000 };
  memo.warnings = now;
  return cell;
}

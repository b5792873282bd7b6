/**
 * The robot's KUnit column: the series' KUnit tests run with the tree's own
 * tools/testing/kunit/kunit.py (QEMU, as upstream runs them), at every patch
 * whose Kconfig already defines the test's symbol. One build directory,
 * incremental from patch to patch.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InfraError } from '../common/errors.js';
import { notInstalledMessage, run } from '../common/process.js';
import { definedInTree } from './build.js';
import type { Cell } from './plan.js';

export interface KunitSpec {
  /** Directory of the .kunitconfig, relative to the tree (kunit.py --kunitconfig). */
  kunitconfig: string;
  /** The Kconfig symbol of the series' tests: before a patch defines it, the cell is n/a. */
  symbol: string;
  /** kunit.py --arch. */
  arch: string;
}

/** kunit.py's closing line, e.g. "Testing complete. Ran 15 tests: passed: 14, failed: 1". Pure. */
export function parseKunitSummary(output: string): { ran: number; passed: number; failed: number; line: string } | undefined {
  const line = output.split('\n').reverse().find((l) => /Testing complete\. Ran \d+ tests?/.test(l));
  if (!line) return undefined;
  const num = (re: RegExp): number => Number(re.exec(line)?.[1] ?? 0);
  const text = line.replace(/^\[[\d:]+\]\s*/, '').replace(/\x1b\[[0-9;]*m/g, '').trim();
  return { ran: num(/Ran (\d+) tests?/), passed: num(/passed: (\d+)/), failed: num(/failed: (\d+)/) + num(/crashed: (\d+)/), line: text };
}

/** The failing tests kunit.py names ("[FAILED] suite.case" lines and expectation failures). Pure. */
export function kunitFailures(output: string): string[] {
  return output
    .split('\n')
    .map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').replace(/^\[[\d:]+\]\s*/, ''))
    .filter((l) => /\[(FAILED|CRASHED)\]|Expected .* but|ASSERTION FAILED|EXPECTATION FAILED/.test(l))
    .slice(0, 12);
}

/**
 * kunit.py boots QEMU with "-accel kvm -accel hvf -accel tcg" and no way to
 * change it; where /dev/kvm exists but Linux guests hang (nested machines
 * such as this workbench's) the test run never ends. A qemu-system-<arch>
 * earlier on PATH drops every accelerator but TCG, as the workbench's own
 * boots do after their KVM probe fails. Returns the directory to put first
 * on PATH.
 */
export const TCG_ONLY_QEMU = `#!/bin/sh
# Written by iofs patches robot: kunit.py asks for KVM first, which hangs here.
real=$1; shift
n=$#; i=0
while [ $i -lt $n ]; do
  a=$1; shift; i=$((i + 1))
  if [ "$a" = -accel ]; then
    v=$1; shift; i=$((i + 1))
    [ "$v" = tcg ] && set -- "$@" -accel tcg
    continue
  fi
  set -- "$@" "$a"
done
exec "$real" "$@"
`;

async function tcgOnlyPath(dir: string, arch: string): Promise<string | undefined> {
  if (arch === 'um') return undefined;
  const qemu = `qemu-system-${arch === 'arm64' ? 'aarch64' : arch}`;
  const real = (await run('sh', ['-c', `command -v ${qemu}`], { okExitCodes: 'any' })).stdout.trim();
  if (!real) throw new InfraError(notInstalledMessage(qemu));
  await fs.mkdir(dir, { recursive: true });
  const wrapper = path.join(dir, qemu);
  await fs.writeFile(path.join(dir, 'tcg-only.sh'), TCG_ONLY_QEMU);
  await fs.writeFile(wrapper, `#!/bin/sh\nexec ${path.join(dir, 'tcg-only.sh')} ${real} "$@"\n`);
  // chmod, not writeFile's mode: that only applies to a file it creates.
  await Promise.all([wrapper, path.join(dir, 'tcg-only.sh')].map((f) => fs.chmod(f, 0o755)));
  return dir;
}

/** Run the series' KUnit tests at this patch (the tree is checked out there). */
export async function kunitCell(spec: KunitSpec, tree: string, patch: number, buildDir: string, jobs: number, logFile: string): Promise<Cell> {
  const check = 'kunit';
  if (!(await definedInTree(tree, spec.symbol))) return { patch, check, status: 'n/a', summary: `no ${spec.symbol} in this tree yet: the series' KUnit tests come later` };
  const t0 = Date.now();
  const r = await run(
    'python3',
    [path.join(tree, 'tools', 'testing', 'kunit', 'kunit.py'), 'run', `--kunitconfig=${spec.kunitconfig}`, `--arch=${spec.arch}`, `--build_dir=${buildDir}`, `--jobs=${jobs}`, '--timeout=300'],
    { cwd: tree, okExitCodes: 'any', env: { PATH: [await tcgOnlyPath(path.join(buildDir, '..', 'qemu-tcg'), spec.arch), process.env.PATH].filter(Boolean).join(':') } },
  );
  const output = r.all;
  await fs.mkdir(path.dirname(logFile), { recursive: true });
  await fs.writeFile(logFile, output);
  const seconds = (Date.now() - t0) / 1000;
  const summary = parseKunitSummary(output);
  if (r.exitCode === 0 && summary && summary.failed === 0 && summary.ran > 0) return { patch, check, status: 'pass', summary: summary.line, log: logFile, seconds };
  const why = summary ? summary.line : `kunit.py exited ${r.exitCode} before running the tests`;
  const details = summary ? kunitFailures(output) : output.split('\n').filter((l) => /error:|\*\*\*|ERROR/.test(l)).slice(0, 8);
  return { patch, check, status: 'fail', summary: why, details, log: logFile, seconds };
}

/**
 * `iofs patches status` on every base in kernel-patches/bases.json, for
 * real: the series applies, builds, passes checkpatch and every scenario
 * that uses it, on each base; then a second run redoes nothing whose inputs
 * did not change; and Ctrl-C during a build leaves no lock behind. Cost: per base one worktree checkout, one ccache-backed
 * build (all series scenarios share the config) and one boot per scenario;
 * the second run costs a no-op make per base.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../common/errors.js';
import { cacheDir, repoRoot } from '../common/paths.js';
import { loadBases, lockPathFor } from '../kernel/index.js';
import type { StatusReport } from './index.js';

const iofs = path.join(repoRoot, 'tools', 'cli', 'iofs.mjs');

async function status(): Promise<{ exitCode: number; report: StatusReport; all: string }> {
  const r = await execa('node', [iofs, 'patches', 'status', '--jobs', '1', '--accel', 'tcg', '--json'], { reject: false, all: true, env: { CI: '1' } });
  const json = String(r.stdout);
  let report: StatusReport;
  try {
    report = JSON.parse(json) as StatusReport;
  } catch {
    throw new Error(`no JSON report (exit ${r.exitCode}):\n${String(r.all).slice(-4000)}`);
  }
  return { exitCode: r.exitCode ?? -1, report, all: String(r.all) };
}

describe('patches status', () => {
  it('is green on every base, and the second run reuses what did not change', async () => {
    const baseMap = await loadBases();
    const bases = [...baseMap.keys()];
    const first = await status();
    // Green means ok, or n/a exactly where bases.json declares a scenario
    // not applicable: an n/a anywhere else would hide a skipped cell.
    const declared = (base: string, name: string): boolean => Object.hasOwn(baseMap.get(base)?.notApplicable ?? {}, name);
    const red = first.report.cells
      .filter((c) => !(c.state === 'ok' || (c.state === 'na' && c.kind === 'scenario' && declared(c.base, c.name)) || (c.state === 'na' && c.kind === 'robot')))
      .map((c) => `${c.id}: ${c.state} ${c.summary} (${c.log ?? ''})`);
    expect(red, first.all.slice(-3000)).toEqual([]);
    // The robot column is n/a where no robot record of exactly this series exists (status does not run the robot).
    const na = first.report.cells.filter((c) => c.state === 'na' && c.kind === 'scenario').map((c) => `${c.base}/${c.name}`).sort();
    const expectedNa = bases.flatMap((b) => Object.keys(baseMap.get(b)?.notApplicable ?? {}).map((n) => `${b}/${n}`)).sort();
    expect(na).toEqual(expectedNa);
    expect(first.exitCode).toBe(0);
    expect(first.report.series.map((s) => s.base)).toEqual(bases);
    for (const s of first.report.series) expect(s.seriesHash).toMatch(/^[0-9a-f]{64}$/);
    for (const base of bases) {
      for (const kind of ['apply', 'build', 'prefixes', 'checkpatch', 'robot', 'scenario']) {
        expect(first.report.cells.some((c) => c.base === base && c.kind === kind), `${base} has a ${kind} cell`).toBe(true);
      }
    }

    const t0 = Date.now();
    const second = await status();
    expect(second.exitCode).toBe(0);
    const byId = new Map(second.report.cells.map((c) => [c.id, c]));
    for (const base of bases) expect(byId.get(`${base}/apply`)?.reused).toBe(true);
    const scenarios = second.report.cells.filter((c) => c.kind === 'scenario' && c.state !== 'na');
    expect(scenarios.every((c) => c.reused), scenarios.map((c) => `${c.id} ${c.reused ? 'reused' : 'RAN'}`).join('\n')).toBe(true);
    // Same run directories as the first time: nothing booted again.
    for (const c of scenarios) expect(c.log).toBe(first.report.cells.find((f) => f.id === c.id)?.log);
    expect((Date.now() - t0) / 1000).toBeLessThan(15 * 60);
  });

  it('Ctrl-C during a build stops make, releases its lock and still prints the matrix (exit 130)', async () => {
    const run = execa('node', [iofs, 'patches', 'status', '--base', '6.12', '--jobs', '1', '--accel', 'tcg', '--json'], { reject: false, env: { CI: '1' } });
    let stderr = '';
    let buildDir: string | undefined;
    run.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (!buildDir) {
        buildDir = /==> building \S+ in (\S+) \(/.exec(stderr)?.[1];
        if (buildDir) setTimeout(() => run.kill('SIGINT'), 1000);
      }
    });
    const r = await run;
    expect(buildDir, stderr).toBeDefined();
    expect(r.exitCode, stderr.slice(-3000)).toBe(ExitCode.INTERRUPTED);
    const report = JSON.parse(String(r.stdout)) as StatusReport;
    const build = report.cells.find((c) => c.base === '6.12' && c.kind === 'build');
    expect(build?.summary).toBe('interrupted');
    expect(report.cells.filter((c) => c.kind === 'scenario').every((c) => c.state === 'skipped')).toBe(true);
    expect(existsSync(lockPathFor(path.join(cacheDir(), 'status'), 'build', buildDir as string))).toBe(false);
  });
});

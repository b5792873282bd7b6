/** Turning run results into what people and CI read: summary lines and JUnit suites. Pure. */
import type { JunitCase, JunitSuite } from './junit.js';
import type { RunResult } from './runner.js';

const fmt = (n: number | undefined, unit = 's'): string => (n === undefined ? '-' : `${n.toFixed(2)}${unit}`);

/**
 * One line per scenario on stdout, e.g.
 * `PASS cpio-gzip accel=tcg run_init=0.86s init=1.02s ssh=2.41s avail=483612kB checks=2/2 — 2 check(s) passed — .cache/runs/…`
 */
export function summaryLine(r: RunResult): string {
  const t = r.timings;
  const passed = r.checks.filter((c) => c.ok).length;
  const parts = [
    r.outcome,
    r.scenario,
    `accel=${r.accel?.accel ?? '-'}`,
    `first_byte=${fmt(t.qemuStartToFirstConsoleByteS)}`,
    `run_init=${fmt(t.kernelRunInitS)}`,
    `init_marker=${fmt(t.markerInitUptimeS)}`,
    `ssh=${fmt(t.wallToSshReadyS)}`,
    `avail=${t.memAvailableKbAtInit === undefined ? '-' : `${t.memAvailableKbAtInit}kB`}`,
    `checks=${passed}/${r.checks.length}`,
  ];
  // An expected panic PASSes: say what was observed when it is not the verdict.
  if (r.observedOutcome !== undefined && r.observedOutcome !== r.outcome) parts.push(`observed=${r.observedOutcome}`);
  return `${parts.join(' ')} | ${r.reason.replace(/\s+/g, ' ')} | ${r.runDir}`;
}

export function junitSuite(r: RunResult): JunitSuite {
  // The kernel under test failing to boot is a failure; not being able to test it is an error.
  const bootStatus: JunitCase['status'] =
    r.outcome === 'PANIC' || r.outcome === 'BOOT-TIMEOUT' ? 'failure' : r.outcome === 'INFRA' || r.outcome === 'INTERRUPTED' ? 'error' : 'passed';
  const panicText = r.panic ? `${r.panic.line}\n\n${r.panic.context.join('\n')}` : undefined;
  const boot: JunitCase = {
    name: 'boot',
    timeS: r.timings.wallToSshReadyS ?? r.timings.totalS ?? 0,
    status: bootStatus,
    systemOut: [
      `run directory: ${r.runDir}`,
      `accel: ${r.accel ? `${r.accel.accel} (${r.accel.why})` : '-'}`,
      ...(r.expectBoot ? [`expected: ${JSON.stringify(r.expectBoot)}`, `observed: ${r.observedOutcome ?? '-'}: ${r.reason}`] : []),
      `timings: ${JSON.stringify(r.timings)}`,
    ].join('\n'),
  };
  if (boot.status !== 'passed') {
    boot.message = `${r.outcome}: ${r.reason}`;
    boot.details = panicText ?? r.reason;
  }
  const cases: JunitCase[] = [boot];
  for (const c of r.checks) {
    const jc: JunitCase = { name: c.name, timeS: c.durationS, status: c.ok ? 'passed' : 'failure', systemOut: `$ ${c.run}\nexit ${c.exitCode}\noutput: ${c.stdoutFile}` };
    if (!c.ok) {
      jc.message = c.reason ?? 'failed';
      jc.details = `$ ${c.run}\n${c.reason ?? ''}`;
    }
    cases.push(jc);
  }
  return {
    name: r.scenario,
    timeS: r.timings.totalS ?? 0,
    cases,
    properties: {
      outcome: r.outcome,
      kernelRelease: r.kernelRelease ?? '',
      accel: r.accel?.accel ?? '',
      runDir: r.runDir,
    },
  };
}

/** A scenario skipped because an earlier one failed (no --keep-going). */
export function junitNotRun(name: string): JunitSuite {
  return { name, timeS: 0, cases: [{ name: 'boot', timeS: 0, status: 'skipped', message: 'not run: an earlier scenario failed (use --keep-going)' }] };
}

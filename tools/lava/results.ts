/**
 * A LAVA job's log back into the workbench's outcome. The input is the job
 * log as the dispatcher writes it: `lava-run`'s stdout (one JSON object a
 * line) or a server's log (`lavacli jobs logs ID --raw`: the same objects as
 * a YAML list, `- {...}`). It holds the console ("target" lines), LAVA's own
 * results and the job's error class. The mapping, like `iofs vm test`:
 *  - a panic, Oops, BUG or WARNING anywhere on the console: PANIC (the same
 *    signatures, tools/vm/console.ts), whatever LAVA concluded;
 *  - LAVA could not run the job (Infrastructure, Configuration, Bug,
 *    Canceled errors, a failed download or QEMU start): INFRA;
 *  - the guest never reached its console shell: BOOT-TIMEOUT;
 *  - a check's output judged by judgeCheck (the same code and expectations
 *    as over SSH) failed, or is missing: FAIL; else PASS;
 *  - then the scenario's boot expectation (judgeBoot): an expected panic
 *    with the documented console lines is a PASS. Pure.
 */
import { findPanic, judgeBoot, judgeCheck, type CheckRecord, type Outcome, type RunResult, type Scenario, type Variables } from '../vm/index.js';
import { parseGuestOutputs } from './guest-checks.js';
import { lavaCaseName } from './guest-checks.js';

export interface LogEntry {
  dt: string;
  lvl: string;
  msg: unknown;
}

export interface LavaResult {
  definition: string;
  case: string;
  result: string;
  extra?: Record<string, unknown>;
  error_type?: string;
  error_msg?: string;
}

/** Log lines → entries; lines that are not log objects (a truncated tail, blank lines) are skipped. */
export function parseLavaLog(text: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim().replace(/^- /, '');
    if (!line.startsWith('{')) continue;
    try {
      const o = JSON.parse(line) as Partial<LogEntry>;
      if (typeof o.lvl === 'string' && typeof o.dt === 'string') out.push({ dt: o.dt, lvl: o.lvl, msg: o.msg });
    } catch {
      // Not JSON: a server's YAML log may also use plain YAML for a few lines; they carry no results we need.
    }
  }
  return out;
}

export const consoleLines = (entries: readonly LogEntry[]): string[] => entries.filter((e) => e.lvl === 'target' && typeof e.msg === 'string').map((e) => e.msg as string);
export const lavaResults = (entries: readonly LogEntry[]): LavaResult[] =>
  entries.filter((e) => e.lvl === 'results' && e.msg !== null && typeof e.msg === 'object').map((e) => e.msg as LavaResult);

/** The URLs the job downloaded ("downloading URL" lines): which exported job a log belongs to. */
export function downloadedUrls(entries: readonly LogEntry[]): string[] {
  return entries.flatMap((e) => (typeof e.msg === 'string' && e.msg.startsWith('downloading ') ? [e.msg.slice('downloading '.length).trim()] : []));
}

/** What `iofs lava export` recorded for a job (jobs.json), enough to judge its log without the images. */
export interface ExportedJob {
  scenario: Pick<Scenario, 'name' | 'file' | 'description' | 'checks' | 'expectBoot' | 'memoryMiB' | 'bootTimeoutS'>;
  jobFile: string;
  commandLine: string;
  artifacts: { kernel: string; initrd: string; disk?: string };
  vars: Variables;
  kernelRelease?: string;
  seriesHash?: string;
  /** Expectations the guest cannot judge (regexes beyond POSIX ERE): judged here only. */
  hostOnly: Record<string, string[]>;
}

const INFRA_ERRORS = new Set(['Infrastructure', 'Configuration', 'Bug', 'Canceled', 'LAVABug', 'ObjectNotPersisted']);

function seconds(a: string, b: string): number {
  return (Date.parse(`${b}Z`) - Date.parse(`${a}Z`)) / 1000;
}

/** Host seconds from QEMU's start (the execute-qemu step) to the first line equal to `line`. */
function wallTo(entries: readonly LogEntry[], line: string): number | undefined {
  const start = entries.find((e) => typeof e.msg === 'string' && e.msg.startsWith('Boot command:'));
  const at = entries.find((e) => e.lvl === 'target' && e.msg === line);
  return start && at ? Math.round(seconds(start.dt, at.dt) * 1000) / 1000 : undefined;
}

function checkRecords(job: ExportedJob, lines: readonly string[], logFile: string): CheckRecord[] {
  const outputs = parseGuestOutputs(lines);
  return job.scenario.checks.map((check, i) => {
    const index = i + 1;
    const got = outputs.get(index);
    const base = { name: check.name, run: check.run, durationS: 0, stdoutFile: logFile, stderrFile: logFile };
    if (!got) return { ...base, ok: false, reason: 'no output on the console (the check did not run)', exitCode: null, timedOut: false };
    const verdict = judgeCheck(check, got.result, job.vars, job.scenario.file);
    const record: CheckRecord = { ...base, ok: verdict.ok, exitCode: got.result.exitCode, timedOut: false };
    // 137: busybox timeout's SIGKILL (the check's timeoutS), unless that is the expected status.
    if (got.result.exitCode === 137 && check.expect.exitCode !== 137) {
      record.ok = false;
      record.timedOut = true;
      record.reason = `timed out after ${check.timeoutS}s (killed)`;
    } else if (verdict.reason) record.reason = verdict.reason;
    if (got.guestVerdict !== undefined && (got.guestVerdict === 'pass') !== record.ok) {
      const only = job.hostOnly[lavaCaseName(index, check.name)] ?? [];
      record.reason = `${record.reason ?? 'passed'} (LAVA's in-guest verdict was ${got.guestVerdict}${only.length ? `; judged on the host only: ${only.join(', ')}` : ''})`;
    }
    return record;
  });
}

/** The observed outcome before the boot expectation, with its reason. */
function observe(entries: readonly LogEntry[], lines: readonly string[], checks: CheckRecord[], job: ExportedJob): { outcome: Outcome; reason: string } {
  const results = lavaResults(entries);
  const panic = findPanic(lines);
  if (panic) return { outcome: 'PANIC', reason: `kernel ${panic.kind}: ${panic.line}` };
  const jobResult = results.find((r) => r.definition === 'lava' && r.case === 'job');
  if (!jobResult) return { outcome: 'INFRA', reason: 'the log has no job result: LAVA did not finish the job (a truncated log?)' };
  if (jobResult.error_type && INFRA_ERRORS.has(jobResult.error_type)) return { outcome: 'INFRA', reason: `LAVA ${jobResult.error_type} error: ${jobResult.error_msg ?? ''}`.trim() };
  const failedStep = results.find((r) => r.definition === 'lava' && r.result === 'fail' && ['http-download', 'execute-qemu', 'download-retry'].includes(r.case));
  if (failedStep) return { outcome: 'INFRA', reason: `LAVA step ${failedStep.case} failed: ${JSON.stringify(failedStep.extra ?? {})}` };
  const login = results.find((r) => r.definition === 'lava' && r.case === 'login-action');
  if (login?.result !== 'pass') {
    const last = [...lines].reverse().find((l) => l.trim() !== '');
    return { outcome: 'BOOT-TIMEOUT', reason: `the guest's console shell did not come up within ${job.scenario.bootTimeoutS}s${jobResult.error_msg ? ` (${jobResult.error_msg})` : ''}; last console line ${JSON.stringify(last ?? '')}` };
  }
  if (checks.length === 0 && (job.scenario.expectBoot?.outcome ?? 'PASS') !== 'PASS') return { outcome: 'PASS', reason: 'the guest came up' };
  const failed = checks.find((c) => !c.ok);
  if (failed) return { outcome: 'FAIL', reason: `check "${failed.name}" failed: ${failed.reason}` };
  return { outcome: 'PASS', reason: `${checks.length} check(s) passed` };
}

/** A LAVA job's log as the workbench's run result (the same shape as `iofs vm test`'s results.json, so reports and JUnit are shared). */
export function mapLavaLog(job: ExportedJob, logText: string, logFile: string): RunResult {
  const entries = parseLavaLog(logText);
  const lines = consoleLines(entries);
  const expectsUp = (job.scenario.expectBoot?.outcome ?? 'PASS') === 'PASS';
  const checks = expectsUp ? checkRecords(job, lines, logFile) : [];
  const observed = observe(entries, lines, checks, job);
  const panic = findPanic(lines);
  const first = entries[0]?.dt;
  const lastDt = entries[entries.length - 1]?.dt;
  const result: RunResult = {
    scenario: job.scenario.name,
    file: job.scenario.file,
    description: job.scenario.description,
    outcome: observed.outcome,
    reason: observed.reason,
    observedOutcome: observed.outcome,
    runDir: logFile,
    startedAt: first ? `${first}Z` : '',
    ...(lastDt ? { finishedAt: `${lastDt}Z` } : {}),
    ...(job.kernelRelease ? { kernelRelease: job.kernelRelease } : {}),
    commandLine: job.commandLine,
    memoryMiB: job.scenario.memoryMiB,
    bootTimeoutS: job.scenario.bootTimeoutS,
    host: { hostname: 'LAVA', kernel: '', cpus: 0, node: '' },
    timings: first && lastDt ? { totalS: seconds(first, lastDt) } : {},
    checks,
  };
  if (panic) {
    result.panic = panic;
    const at = wallTo(entries, panic.firstLine);
    if (at !== undefined) result.timings.wallToPanicS = at;
  }
  if (job.scenario.expectBoot) {
    result.expectBoot = job.scenario.expectBoot;
    const verdict = judgeBoot(job.scenario.expectBoot, { outcome: observed.outcome, reason: observed.reason, panic, wallToPanicS: result.timings.wallToPanicS, consoleLines: lines }, job.vars, job.scenario.file);
    result.outcome = verdict.outcome;
    result.reason = verdict.reason;
  }
  return result;
}

/** Which exported job a log belongs to: the one whose initrd URL it downloaded. */
export function jobForLog(jobs: readonly ExportedJob[], entries: readonly LogEntry[]): ExportedJob | undefined {
  const urls = new Set(downloadedUrls(entries));
  return jobs.find((j) => urls.has(j.artifacts.initrd));
}

/** Judging a check's output, and a boot's outcome and console, against their expectations: pure. */
import path from 'node:path';
import { splitPrintk, stripControl, type PanicReport } from './console.js';
import type { Outcome } from './outcome.js';
import type { BootExpectation, Check, Scenario, ScalarVariable } from './scenario.js';
import { expectationTexts, variableRefs } from './scenario.js';

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** null when the command was killed by a signal or the channel closed without a status. */
  exitCode: number | null;
  signal?: string;
}

export interface Variables {
  scalars: Partial<Record<ScalarVariable, string>>;
  /** Absolute host path → SHA-256 hex. */
  hostSha256: Record<string, string>;
  /** Absolute guest path → size and SHA-256 hex of that file as the packed initrd holds it. */
  initrdFiles: Record<string, { size: number; sha256: string }>;
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Host files a scenario's checks and boot expectation hash, as absolute paths (relative ones are relative to the scenario file). */
export function hostFilesToHash(scenario: Pick<Scenario, 'file' | 'checks' | 'expectBoot'>): string[] {
  const files = new Set<string>();
  for (const { text, where } of expectationTexts(scenario)) {
    for (const ref of variableRefs(text, where)) {
      if (ref.kind === 'hostSha256') files.add(path.resolve(path.dirname(scenario.file), ref.value));
    }
  }
  return [...files].sort();
}

/** Guest files whose packed size or SHA-256 a scenario's expectations use (${initrdFileSha256:…}, ${initrdFileBytes:…}), sorted. */
export function initrdFilesToHash(scenario: Pick<Scenario, 'checks' | 'expectBoot'>): string[] {
  const files = new Set<string>();
  for (const { text, where } of expectationTexts(scenario)) {
    for (const ref of variableRefs(text, where)) if (ref.kind === 'initrdFileSha256' || ref.kind === 'initrdFileBytes') files.add(ref.value);
  }
  return [...files].sort();
}

function variableValue(ref: ReturnType<typeof variableRefs>[number], vars: Variables, scenarioFile: string): string | undefined {
  switch (ref.kind) {
    case 'scalar':
      return vars.scalars[ref.value as ScalarVariable];
    case 'hostSha256':
      return vars.hostSha256[path.resolve(path.dirname(scenarioFile), ref.value)];
    case 'initrdFileSha256':
      return vars.initrdFiles[ref.value]?.sha256;
    case 'initrdFileBytes': {
      const f = vars.initrdFiles[ref.value];
      return f === undefined ? undefined : String(f.size);
    }
  }
}

/**
 * Replaces ${…} in an expectation. In regexes (`asRegex`) values are escaped,
 * so `^${kernelRelease}$` matches the release literally.
 */
export function substitute(text: string, vars: Variables, scenarioFile: string, asRegex = false): string {
  const refs = variableRefs(text, path.basename(scenarioFile));
  let out = text;
  for (const ref of refs) {
    const value = variableValue(ref, vars, scenarioFile);
    if (value === undefined) throw new Error(`variable \${${ref.raw}} has no value in this run`);
    out = out.split(`\${${ref.raw}}`).join(asRegex ? escapeRegExp(value) : value);
  }
  return out;
}

export interface CheckVerdict {
  ok: boolean;
  /** Why it failed, in one line a person can act on. */
  reason?: string;
}

function clip(s: string, max = 200): string {
  const one = JSON.stringify(s);
  return one.length > max ? `${one.slice(0, max)}…"` : one;
}

export function judgeCheck(check: Check, result: ExecResult, vars: Variables, scenarioFile: string): CheckVerdict {
  const e = check.expect;
  const sub = (t: string, re = false): string => substitute(t, vars, scenarioFile, re);
  if (result.exitCode !== e.exitCode) {
    const got = result.exitCode === null ? `no exit status${result.signal ? ` (signal ${result.signal})` : ''}` : `exit status ${result.exitCode}`;
    const err = result.stderr.trim() ? `; stderr ${clip(result.stderr.trim())}` : '';
    return { ok: false, reason: `expected exit status ${e.exitCode}, got ${got}${err}` };
  }
  const stdout = result.stdout.replace(/\n+$/, '');
  if (e.stdout !== undefined) {
    const want = sub(e.stdout);
    if (stdout !== want) return { ok: false, reason: `stdout ${clip(stdout)}, expected ${clip(want)}` };
  }
  for (const t of e.stdoutContains ?? []) {
    const want = sub(t);
    if (!result.stdout.includes(want)) return { ok: false, reason: `stdout ${clip(stdout)} does not contain ${clip(want)}` };
  }
  for (const t of e.stdoutMatches ?? []) {
    const re = sub(t, true);
    if (!new RegExp(re, 'm').test(stdout)) return { ok: false, reason: `stdout ${clip(stdout)} does not match /${re}/m` };
  }
  for (const t of e.stdoutNotMatches ?? []) {
    const re = sub(t, true);
    const m = new RegExp(re, 'm').exec(stdout);
    if (m) return { ok: false, reason: `stdout matches /${re}/m (at ${clip(m[0])}), it must not` };
  }
  for (const t of e.stderrContains ?? []) {
    const want = sub(t);
    if (!result.stderr.includes(want)) return { ok: false, reason: `stderr ${clip(result.stderr.trim())} does not contain ${clip(want)}` };
  }
  for (const t of e.stderrMatches ?? []) {
    const re = sub(t, true);
    if (!new RegExp(re, 'm').test(result.stderr)) return { ok: false, reason: `stderr ${clip(result.stderr.trim())} does not match /${re}/m` };
  }
  return { ok: true };
}

/** What a run observed, as far as a boot expectation cares. */
export interface ObservedBoot {
  outcome: Outcome;
  reason: string;
  panic?: PanicReport;
  /** Host seconds from QEMU's start to the first trouble line, when there was one. */
  wallToPanicS?: number;
  /** Every console line, raw (control sequences and printk times are removed here). */
  consoleLines: readonly string[];
}

/** The console as expectations see it: printk timestamps and control characters removed, one message per line. */
export function consoleMessages(lines: readonly string[]): string {
  return lines.map((l) => splitPrintk(stripControl(l)).message).join('\n');
}

function lastConsoleLine(lines: readonly string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = stripControl(lines[i] ?? '').trim();
    if (l) return l;
  }
  return undefined;
}

/**
 * The final outcome of a scenario with a boot expectation. An observed
 * outcome equal to the expected one, with every console expectation holding,
 * is a PASS (a corrupted image that panics with the documented message
 * passes); anything else is a FAIL whose reason says what was expected, what
 * was observed, and quotes the panic or the last console line. INFRA and
 * INTERRUPTED say nothing about the kernel and are kept.
 */
export function judgeBoot(expect: BootExpectation, observed: ObservedBoot, vars: Variables, scenarioFile: string): { outcome: Outcome; reason: string } {
  if (observed.outcome === 'INFRA' || observed.outcome === 'INTERRUPTED') return { outcome: observed.outcome, reason: observed.reason };
  const want = expect.outcome;
  const panicQuote = observed.panic ? `; panic line ${clip(observed.panic.line)}` : '';
  const last = lastConsoleLine(observed.consoleLines);
  const lastQuote = last !== undefined ? `; last console line ${clip(last)}` : '; no console output';
  const fail = (why: string): { outcome: Outcome; reason: string } => ({ outcome: 'FAIL', reason: why });

  if (observed.outcome !== want) {
    // The observed reason already quotes what matters: the panic line, the failed check, the last console line of a timeout.
    const what = observed.outcome === 'PASS' ? 'the guest came up and its checks passed, with no panic' : observed.reason;
    return fail(`expected ${want}, observed ${observed.outcome}: ${what}`);
  }
  if (want === 'PANIC' && observed.panic) {
    const p = observed.panic;
    // A documented failure is a clean panic: an Oops, BUG or WARNING before it is a kernel bug.
    if (p.firstLine !== p.line) {
      return fail(`expected a clean PANIC, but the kernel showed ${clip(p.firstLine)} before ${clip(p.line)}`);
    }
    if (expect.withinS !== undefined && observed.wallToPanicS !== undefined && observed.wallToPanicS > expect.withinS) {
      return fail(`expected PANIC within ${expect.withinS}s, it came after ${observed.wallToPanicS.toFixed(1)}s: ${clip(p.line)}`);
    }
  }
  const text = consoleMessages(observed.consoleLines);
  const sub = (t: string, re = false): string => substitute(t, vars, scenarioFile, re);
  const context = want === 'PANIC' ? panicQuote : lastQuote;
  for (const t of expect.consoleContains ?? []) {
    const wantText = sub(t);
    if (!text.includes(wantText)) return fail(`expected ${want} with ${clip(wantText)} on the console, it is not there${context}`);
  }
  for (const t of expect.consoleMatches ?? []) {
    const re = sub(t, true);
    if (!new RegExp(re, 'm').test(text)) return fail(`expected ${want} with a console line matching /${re}/m, none does${context}`);
  }
  for (const t of expect.consoleNotMatches ?? []) {
    const re = sub(t, true);
    const m = new RegExp(re, 'm').exec(text);
    if (m) return fail(`the console matches /${re}/m (at ${clip(m[0])}), it must not`);
  }
  switch (want) {
    case 'PANIC':
      return { outcome: 'PASS', reason: `panicked as expected${observed.wallToPanicS !== undefined ? ` after ${observed.wallToPanicS.toFixed(1)}s` : ''}: ${observed.panic?.line ?? observed.reason}` };
    case 'BOOT-TIMEOUT':
      return { outcome: 'PASS', reason: `no SSH, as expected: ${observed.reason}` };
    case 'PASS':
      return { outcome: 'PASS', reason: `${observed.reason}; console as expected` };
  }
}

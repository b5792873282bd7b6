/** Judging a check's output against its expectations: pure. */
import path from 'node:path';
import type { Check, Scenario, ScalarVariable } from './scenario.js';
import { variableRefs } from './scenario.js';

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
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Host files a scenario's checks hash, as absolute paths (relative ones are relative to the scenario file). */
export function hostFilesToHash(scenario: Pick<Scenario, 'file' | 'checks'>): string[] {
  const files = new Set<string>();
  for (const c of scenario.checks) {
    for (const text of expectTexts(c)) {
      for (const ref of variableRefs(text, c.name)) {
        if (ref.kind === 'hostSha256') files.add(path.resolve(path.dirname(scenario.file), ref.value));
      }
    }
  }
  return [...files].sort();
}

function expectTexts(c: Check): string[] {
  const e = c.expect;
  return [e.stdout, ...(e.stdoutContains ?? []), ...(e.stdoutMatches ?? []), ...(e.stdoutNotMatches ?? []),
    ...(e.stderrContains ?? []), ...(e.stderrMatches ?? [])].filter((t): t is string => t !== undefined);
}

/**
 * Replaces ${…} in an expectation. In regexes (`asRegex`) values are escaped,
 * so `^${kernelRelease}$` matches the release literally.
 */
export function substitute(text: string, vars: Variables, scenarioFile: string, asRegex = false): string {
  const refs = variableRefs(text, path.basename(scenarioFile));
  let out = text;
  for (const ref of refs) {
    const value =
      ref.kind === 'scalar'
        ? vars.scalars[ref.value as ScalarVariable]
        : vars.hostSha256[path.resolve(path.dirname(scenarioFile), ref.value)];
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

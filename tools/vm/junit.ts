/**
 * JUnit XML for CI systems: one <testsuite> per scenario, one <testcase> for
 * the boot and one per check. Pure string building, so escaping is tested.
 */
import { escapeXml } from '../common/xml.js';

export { escapeXml };

export interface JunitCase {
  name: string;
  timeS: number;
  /** failure: the thing under test went wrong; error: we could not test it (INFRA, timeout). */
  status: 'passed' | 'failure' | 'error' | 'skipped';
  message?: string;
  /** Details: console excerpt, check output. */
  details?: string;
  systemOut?: string;
}

export interface JunitSuite {
  name: string;
  timeS: number;
  cases: JunitCase[];
  properties?: Record<string, string>;
}

const attr = (v: string | number): string => `"${escapeXml(String(v))}"`;
const secs = (t: number): string => t.toFixed(3);

export function renderJunit(suites: readonly JunitSuite[], name = 'iofs vm test'): string {
  const count = (st: JunitCase['status']): number => suites.reduce((n, s) => n + s.cases.filter((c) => c.status === st).length, 0);
  const total = suites.reduce((n, s) => n + s.cases.length, 0);
  const time = suites.reduce((t, s) => t + s.timeS, 0);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name=${attr(name)} tests=${attr(total)} failures=${attr(count('failure'))} errors=${attr(count('error'))} skipped=${attr(count('skipped'))} time=${attr(secs(time))}>`);
  for (const s of suites) {
    const n = (st: JunitCase['status']): number => s.cases.filter((c) => c.status === st).length;
    out.push(`  <testsuite name=${attr(s.name)} tests=${attr(s.cases.length)} failures=${attr(n('failure'))} errors=${attr(n('error'))} skipped=${attr(n('skipped'))} time=${attr(secs(s.timeS))}>`);
    const props = Object.entries(s.properties ?? {});
    if (props.length) {
      out.push('    <properties>');
      for (const [k, v] of props) out.push(`      <property name=${attr(k)} value=${attr(v)}/>`);
      out.push('    </properties>');
    }
    for (const c of s.cases) {
      const open = `    <testcase classname=${attr(s.name)} name=${attr(c.name)} time=${attr(secs(c.timeS))}`;
      const body: string[] = [];
      if (c.status === 'failure' || c.status === 'error') {
        body.push(`      <${c.status} message=${attr(c.message ?? c.status)}>${escapeXml(c.details ?? '')}</${c.status}>`);
      } else if (c.status === 'skipped') {
        body.push(`      <skipped message=${attr(c.message ?? 'skipped')}/>`);
      }
      if (c.systemOut) body.push(`      <system-out>${escapeXml(c.systemOut)}</system-out>`);
      out.push(body.length ? `${open}>\n${body.join('\n')}\n    </testcase>` : `${open}/>`);
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}

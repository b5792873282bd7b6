import { describe, expect, it } from 'vitest';
import { escapeXml, renderJunit } from './junit.js';

describe('escapeXml', () => {
  it('escapes markup and drops characters XML cannot hold', () => {
    expect(escapeXml(`a<b>&"c"'d'`)).toBe('a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;');
    expect(escapeXml('\x1b[2Jclear\x00\ttab\nnl')).toBe('[2Jclear\ttab\nnl');
  });
});

describe('renderJunit', () => {
  it('writes suites, cases, failures and counts, escaped', () => {
    const xml = renderJunit([
      {
        name: 'cpio-gzip',
        timeS: 12.5,
        properties: { outcome: 'FAIL' },
        cases: [
          { name: 'boot', timeS: 7.25, status: 'passed', systemOut: 'ssh <ready>' },
          { name: 'root "fs"', timeS: 0.1, status: 'failure', message: 'stdout "x" does not match /^rootfs$/m', details: '$ stat -f -c %T / & more' },
        ],
      },
      { name: 'garbage', timeS: 3, cases: [{ name: 'boot', timeS: 3, status: 'error', message: 'INFRA: <qemu>' }] },
      { name: 'later', timeS: 0, cases: [{ name: 'boot', timeS: 0, status: 'skipped', message: 'not run' }] },
    ]);
    expect(xml).toContain('<testsuites name="iofs vm test" tests="4" failures="1" errors="1" skipped="1" time="15.500">');
    expect(xml).toContain('<testcase classname="cpio-gzip" name="root &quot;fs&quot;" time="0.100">');
    expect(xml).toContain('<failure message="stdout &quot;x&quot; does not match /^rootfs$/m">$ stat -f -c %T / &amp; more</failure>');
    expect(xml).toContain('<system-out>ssh &lt;ready&gt;</system-out>');
    expect(xml).toContain('<error message="INFRA: &lt;qemu&gt;"></error>');
    expect(xml).toContain('<skipped message="not run"/>');
    expect(xml).toContain('<property name="outcome" value="FAIL"/>');
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
  });
});

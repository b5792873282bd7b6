import { describe, expect, it } from 'vitest';
import type { KernelBase } from '../kernel/index.js';
import { DEBIAN_NEUTRALISE, headersSearchPattern, parseDebianConfigRecord, pickHeadersPackage } from './debian-config.js';

const SHA = 'a'.repeat(64);

/** An `apt-cache show` stanza as the suites' indexes give it. */
function stanza(pkg: string, version: string, source = 'linux'): string {
  return [`Package: ${pkg}`, `Source: ${source}`, `Version: ${version}`, 'Architecture: amd64', `Filename: pool/main/l/linux/${pkg}_${version}_amd64.deb`, `SHA256: ${SHA}`].join('\n');
}

describe('debian config: which headers package', () => {
  it('searches the amd64 headers of the upstream major.minor of the Debian version', () => {
    const re = new RegExp(headersSearchPattern('7.3.4-1~bpo13+1'));
    expect(re.test('linux-headers-7.3.4+deb13-amd64')).toBe(true);
    expect(re.test('linux-headers-7.2.12+deb13-amd64')).toBe(false);
    expect(re.test('linux-headers-amd64')).toBe(false);
    expect(new RegExp(headersSearchPattern('6.1.192-3')).test('linux-headers-6.1.0-57-amd64')).toBe(true);
    expect(new RegExp(headersSearchPattern('6.1.192-3')).test('linux-headers-6.12.118+deb12-amd64')).toBe(false);
  });

  it('picks the plain amd64 flavour of exactly that version, built by source linux', () => {
    const text = [
      stanza('linux-headers-7.3.4+deb13-cloud-amd64', '7.3.4-1~bpo13+1'),
      stanza('linux-headers-7.3.4+deb13-rt-amd64', '7.3.4-1~bpo13+1'),
      stanza('linux-headers-7.3.3+deb13-amd64', '7.3.3-1~bpo13+1'),
      stanza('linux-headers-7.3.4+deb13-amd64', '7.3.4-1~bpo13+1'),
      stanza('linux-headers-7.3.4+deb13-amd64', '7.3.4-1~bpo13+1'),
    ].join('\n\n');
    expect(pickHeadersPackage(text, '7.3.4-1~bpo13+1')).toEqual([
      { package: 'linux-headers-7.3.4+deb13-amd64', version: '7.3.4-1~bpo13+1', sha256: SHA, filename: 'pool/main/l/linux/linux-headers-7.3.4+deb13-amd64_7.3.4-1~bpo13+1_amd64.deb' },
    ]);
    expect(pickHeadersPackage(stanza('linux-headers-6.1.0-57-amd64', '6.1.192-3'), '6.1.192-3').map((c) => c.package)).toEqual(['linux-headers-6.1.0-57-amd64']);
  });

  it('finds nothing when the suite lacks that version, or another source built it', () => {
    expect(pickHeadersPackage(stanza('linux-headers-6.1.0-50-amd64', '6.1.176-1'), '6.1.192-3')).toEqual([]);
    expect(pickHeadersPackage(stanza('linux-headers-7.3.4+deb13-amd64', '7.3.4-1~bpo13+1', 'linux-signed-amd64'), '7.3.4-1~bpo13+1')).toEqual([]);
    expect(pickHeadersPackage('', '7.3.4-1~bpo13+1')).toEqual([]);
  });
});

describe('debian config: the cache record', () => {
  const record = { package: 'linux-headers-7.3.4+deb13-amd64', version: '7.3.4-1~bpo13+1', suite: 'trixie-backports', sha256: SHA };

  it('reads a record back', () => {
    expect(parseDebianConfigRecord(JSON.stringify(record))).toEqual(record);
  });

  it('refuses a broken or partial one (the config is then fetched again)', () => {
    expect(parseDebianConfigRecord('')).toBeUndefined();
    expect(parseDebianConfigRecord('{"package":')).toBeUndefined();
    expect(parseDebianConfigRecord('null')).toBeUndefined();
    expect(parseDebianConfigRecord(JSON.stringify({ ...record, sha256: 'abc' }))).toBeUndefined();
    expect(parseDebianConfigRecord(JSON.stringify({ ...record, package: '' }))).toBeUndefined();
  });

  it('neutralises the keys and BTF Debian builds with', () => {
    expect(DEBIAN_NEUTRALISE).toMatch(/^CONFIG_SYSTEM_TRUSTED_KEYS=""$/m);
    expect(DEBIAN_NEUTRALISE).toMatch(/^# CONFIG_DEBUG_INFO_BTF is not set$/m);
  });
});

import { describe, expect, it } from 'vitest';
import { baseTag, loadBases, loadBaseSet, parseBaseSet, parseBases } from './bases.js';

const good = {
  version: '6.12.117',
  debianPackage: 'linux-source-6.12',
  tarball: '/usr/src/linux-source-6.12.tar.xz',
  topDir: 'linux-source-6.12',
  patches: '6.12',
};

describe('parseBases', () => {
  it('accepts several bases and names their tags', () => {
    const bases = parseBases({ primary: '6.12', bases: { '6.12': good, '6.1': { ...good, version: '6.1.158', patches: '6.1' } } });
    expect([...bases.keys()]).toEqual(['6.12', '6.1']);
    expect(bases.get('6.1')?.version).toBe('6.1.158');
    expect(baseTag(bases.get('6.12')!)).toBe('base-6.12');
  });

  it('names the base and field that is wrong', () => {
    const { tarball: _t, ...noTarball } = good;
    expect(() => parseBases({ primary: '6.12', bases: { '6.12': noTarball } }, 'b.json')).toThrow(/^b\.json: bases\["6\.12"\]\.tarball: missing$/m);
    expect(() => parseBases({ primary: '6.12', bases: { '6.12': { ...good, tarball: 'relative.tar.xz' } } })).toThrow(/bases\["6\.12"\]\.tarball: must be an absolute path/);
    expect(() => parseBases({ primary: '6.12', bases: { '6.12': { ...good, version: 'latest' } } })).toThrow(/bases\["6\.12"\]\.version: "latest" is not a kernel version/);
    expect(() => parseBases({ primary: '6.12', bases: { '6.12': { ...good, patches: '../x' } } })).toThrow(/bases\["6\.12"\]\.patches: must be a directory inside kernel-patches/);
    expect(() => parseBases({ primary: '6.12', bases: { '6.12': { ...good, tarbal: 'x' } } })).toThrow(/bases\["6\.12"\]: unknown key "tarbal" \(valid: version, debianPackage, tarball/);
    expect(() => parseBases({ bases: { 'a b': good } })).toThrow(/bases\["a b"\]: a base name is letters, digits/);
    expect(() => parseBases({ bases: {} })).toThrow(/bases: expected at least one base/);
    expect(() => parseBases([])).toThrow(/^bases\.json: expected an object, got \[\]/);
  });

  it('reads the scenarios a base cannot run, each with its reason', () => {
    const na = { 'kmode-erofs-file': '6.1 has no file-backed EROFS mounts' };
    expect(parseBases({ primary: '6.1', bases: { '6.1': { ...good, notApplicable: na } } }).get('6.1')?.notApplicable).toEqual(na);
    expect(parseBases({ primary: '6.12', bases: { '6.12': good } }).get('6.12')?.notApplicable).toEqual({});
    expect(() => parseBases({ primary: '6.1', bases: { '6.1': { ...good, notApplicable: { x: '' } } } })).toThrow(/bases\["6\.1"\]\.notApplicable\.x: expected the reason as a non-empty string/);
    expect(() => parseBases({ primary: '6.1', bases: { '6.1': { ...good, notApplicable: ['x'] } } })).toThrow(/notApplicable: expected an object \{"<scenario>": "<why>"\}, got \["x"\]/);
  });

  it('needs a primary base that exists, and the Debian suite fields together', () => {
    expect(() => parseBases({ bases: { '6.12': good } }, 'b.json')).toThrow(/^b\.json: primary: expected the name of one of the bases \(6\.12\), got nothing/);
    expect(() => parseBases({ primary: '7.3', bases: { '6.12': good } })).toThrow(/primary: .*got "7\.3"/);
    const suite = { debianSuite: 'trixie-backports', debianVersion: '7.3.4-1~bpo13+1', debianSha256: 'a'.repeat(64) };
    expect(parseBaseSet({ primary: '7.3', bases: { '7.3': { ...good, ...suite } } }).bases.get('7.3')).toMatchObject(suite);
    expect(() => parseBases({ primary: '7.3', bases: { '7.3': { ...good, debianSuite: 'trixie-backports' } } })).toThrow(/bases\["7\.3"\]: debianSuite, debianVersion, debianSha256 go together \(missing debianVersion, debianSha256\)/);
    expect(() => parseBases({ primary: '7.3', bases: { '7.3': { ...good, ...suite, debianSha256: 'x' } } })).toThrow(/bases\["7\.3"\]\.debianSha256: expected 64 hex digits/);
  });

  it('validates the real kernel-patches/bases.json', async () => {
    expect((await loadBaseSet()).bases.has((await loadBaseSet()).primary)).toBe(true);
    const bases = await loadBases();
    expect(bases.get('6.12')?.version).toMatch(/^6\.12\./);
  });
});

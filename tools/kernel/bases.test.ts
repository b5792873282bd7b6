import { describe, expect, it } from 'vitest';
import { baseTag, loadBases, parseBases } from './bases.js';

const good = {
  version: '6.12.117',
  debianPackage: 'linux-source-6.12',
  tarball: '/usr/src/linux-source-6.12.tar.xz',
  topDir: 'linux-source-6.12',
  patches: '6.12',
};

describe('parseBases', () => {
  it('accepts several bases and names their tags', () => {
    const bases = parseBases({ bases: { '6.12': good, '6.1': { ...good, version: '6.1.158', patches: '6.1' } } });
    expect([...bases.keys()]).toEqual(['6.12', '6.1']);
    expect(bases.get('6.1')?.version).toBe('6.1.158');
    expect(baseTag(bases.get('6.12')!)).toBe('base-6.12');
  });

  it('names the base and field that is wrong', () => {
    const { tarball: _t, ...noTarball } = good;
    expect(() => parseBases({ bases: { '6.12': noTarball } }, 'b.json')).toThrow(/b\.json: bases\.6\.12\.tarball: missing/);
    expect(() => parseBases({ bases: { '6.12': { ...good, tarball: 'relative.tar.xz' } } })).toThrow(/tarball: must be an absolute path/);
    expect(() => parseBases({ bases: { '6.12': { ...good, version: 'latest' } } })).toThrow(/not a kernel version/);
    expect(() => parseBases({ bases: { '6.12': { ...good, patches: '../x' } } })).toThrow(/inside kernel-patches/);
    expect(() => parseBases({ bases: { '6.12': { ...good, tarbal: 'x' } } })).toThrow(/unknown field\(s\) tarbal/);
    expect(() => parseBases({ bases: { 'a b': good } })).toThrow(/base name "a b"/);
    expect(() => parseBases({ bases: {} })).toThrow(/empty/);
    expect(() => parseBases([])).toThrow(/expected a JSON object/);
  });

  it('reads the scenarios a base cannot run, each with its reason', () => {
    const na = { 'kmode-erofs-file': '6.1 has no file-backed EROFS mounts' };
    expect(parseBases({ bases: { '6.1': { ...good, notApplicable: na } } }).get('6.1')?.notApplicable).toEqual(na);
    expect(parseBases({ bases: { '6.12': good } }).get('6.12')?.notApplicable).toEqual({});
    expect(() => parseBases({ bases: { '6.1': { ...good, notApplicable: { x: '' } } } })).toThrow(/bases\.6\.1\.notApplicable\.x: give the reason/);
    expect(() => parseBases({ bases: { '6.1': { ...good, notApplicable: ['x'] } } })).toThrow(/notApplicable: expected an object/);
  });

  it('validates the real kernel-patches/bases.json', async () => {
    const bases = await loadBases();
    expect(bases.get('6.12')?.version).toMatch(/^6\.12\./);
  });
});

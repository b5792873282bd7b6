import { describe, expect, it } from 'vitest';
import { configHash, findDroppedSymbols, formatDropped, parseConfigFragment, parseDotConfig, resolveFragment } from './config.js';

describe('parseConfigFragment', () => {
  it('reads y/m/n, strings, numbers and "is not set"; later lines win', () => {
    const reqs = parseConfigFragment(
      ['# comment', 'CONFIG_A=y', 'CONFIG_B=m', 'CONFIG_C="hello world"', '# CONFIG_D is not set', 'CONFIG_E=0x10', 'CONFIG_A=n', ''].join('\n'),
      'f.config',
    );
    expect(reqs.map((r) => [r.symbol, r.value, r.line])).toEqual([
      ['A', 'n', 7],
      ['B', 'm', 3],
      ['C', '"hello world"', 4],
      ['D', 'n', 5],
      ['E', '0x10', 6],
    ]);
  });

  it('rejects a line that is not config, naming file and line', () => {
    expect(() => parseConfigFragment('CONFIG_A=y\nEROFS=y\n', 'x.config')).toThrow(/x\.config:2: not a config line/);
    expect(() => parseConfigFragment('CONFIG_A=\n', 'x.config')).toThrow(/x\.config:1: CONFIG_A has no value/);
  });
});

describe('findDroppedSymbols', () => {
  const dot = parseDotConfig(['CONFIG_A=y', 'CONFIG_B=y', '# CONFIG_C is not set', 'CONFIG_S="x"', 'CONFIG_H=0xff'].join('\n'));

  it('finds symbols whose value differs, including absent ones', () => {
    const reqs = [
      ...parseConfigFragment('CONFIG_A=y\nCONFIG_B=m\nCONFIG_C=y\nCONFIG_MISSING=y\n', 'guest.config'),
      ...parseConfigFragment('# CONFIG_ABSENT is not set\nCONFIG_S="x"\nCONFIG_H=0xFF\n', 'erofs.config'),
    ];
    const dropped = findDroppedSymbols(reqs, dot);
    expect(dropped.map((d) => [d.request.symbol, d.request.fragment, d.actual])).toEqual([
      ['B', 'guest.config', 'y'],
      ['C', 'guest.config', 'n'],
      ['MISSING', 'guest.config', 'n'],
    ]);
    const text = formatDropped(dropped, new Map([['MISSING', 'defined in fs/Kconfig:3 (depends on FOO)']]));
    expect(text).toContain('CONFIG_MISSING=y (asked by guest.config:4) ended up not set; defined in fs/Kconfig:3 (depends on FOO)');
    expect(text).toContain('CONFIG_B=m (asked by guest.config:2) ended up =y');
  });

  it('judges a symbol set by two fragments by the later one', () => {
    const reqs = [...parseConfigFragment('CONFIG_C=y\n', 'a.config'), ...parseConfigFragment('# CONFIG_C is not set\n', 'b.config')];
    expect(findDroppedSymbols(reqs, dot)).toEqual([]);
  });
});

describe('fragments', () => {
  it('resolves names in kernel-patches/configs and lists them when unknown', async () => {
    const guest = await resolveFragment('guest');
    expect(guest.content).toContain('CONFIG_SERIAL_8250_CONSOLE=y');
    await expect(resolveFragment('nosuch')).rejects.toThrow(/config fragment "nosuch" not found/);
    await expect(resolveFragment('nosuch')).rejects.toMatchObject({ hint: expect.stringMatching(/guest/) });
  });

  it('hashes content in order', () => {
    const a = { content: 'CONFIG_A=y\n' };
    const b = { content: 'CONFIG_B=y\n' };
    expect(configHash([a, b])).toBe(configHash([{ ...a }, { ...b }]));
    expect(configHash([a, b])).not.toBe(configHash([b, a]));
    expect(configHash([a])).toMatch(/^[0-9a-f]{64}$/);
  });
});

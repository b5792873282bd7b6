import { describe, expect, it } from 'vitest';
import { parseData } from '../common/schema.js';
import { loadRobotConfigs, robotFileSchema, setFragment } from './config.js';

const parse = (data: unknown): unknown => parseData(robotFileSchema, data, 'robot.json');
const entry = { name: 'x', why: 'because', start: 'tinyconfig' };

describe('robot.json', () => {
  it('the committed file parses, with the modular distribution build in the core tier', async () => {
    const configs = await loadRobotConfigs();
    expect(configs.find((c) => c.name === 'modules')).toMatchObject({ core: true, set: { EROFS_FS: 'm', OVERLAY_FS: 'm', INITRD_EROFS: 'n' } });
    expect(configs.filter((c) => c.start === 'randconfig').every((c) => c.seed !== undefined)).toBe(true);
  });

  it('names the file and key of a mistake', () => {
    expect(() => parse({ configs: [{ ...entry, start: 'randconfig' }] })).toThrow(/robot.json: configs\[0\] \(x\).seed: randconfig needs a seed/);
    expect(() => parse({ configs: [{ ...entry, set: { CONFIG_FOO: 'y' } }] })).toThrow(/configs\[0\] \(x\).set.CONFIG_FOO: "CONFIG_FOO" is not a Kconfig symbol/);
    expect(() => parse({ configs: [entry, entry] })).toThrow(/two configurations are named "x"/);
    expect(() => parse({ configs: [{ ...entry, strat: 'x' }] })).toThrow(/unknown key "strat"/);
  });

  it('writes set as fragment lines, n as "is not set"', () => {
    expect(setFragment({ EROFS_FS: 'm', INITRD_EROFS: 'n' })).toBe('CONFIG_EROFS_FS=m\n# CONFIG_INITRD_EROFS is not set');
  });
});

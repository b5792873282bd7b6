import { describe, expect, it } from 'vitest';
import type { KernelBase } from '../kernel/index.js';
import { configBuild } from './build.js';

const base = { name: '7.3' } as KernelBase;

describe('configBuild', () => {
  it('lets `set` override what a fragment asks for, as merge_config.sh does', async () => {
    const b = await configBuild({ name: 'x', why: 'w', start: 'tinyconfig', fragments: ['distro'], set: { MD: 'n' }, warnings: false, core: false }, base, '/tree', '/root', 2);
    const md = b.requests.filter((r) => r.symbol === 'MD');
    expect(md).toEqual([expect.objectContaining({ value: 'n', fragment: 'robot.json x.set' })]);
    expect(b.requests.find((r) => r.symbol === 'EXT4_FS')).toMatchObject({ value: 'y', fragment: 'distro' });
    expect(b.dir).toBe('/root/builds/x');
  });
});

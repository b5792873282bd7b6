import { describe, expect, it } from 'vitest';
import { InputError } from '../common/errors.js';
import { buildKernel, firstErrors, planBuildDir } from './build.js';

describe('planBuildDir', () => {
  const base = { cache: '/c', base: '6.12', treePath: '/c/trees/6.12', configHash: 'ab'.repeat(32) };

  it('keys by base, variant and config hash, not by tree content', () => {
    expect(planBuildDir({ ...base, variant: 'patched' })).toBe('/c/builds/6.12-patched-abababababab');
    expect(planBuildDir({ ...base, variant: 'pristine' })).toBe('/c/pristine/builds/6.12-pristine-abababababab');
    expect(planBuildDir({ ...base, variant: 'patched', configHash: 'cd'.repeat(32) })).not.toBe(
      planBuildDir({ ...base, variant: 'patched' }),
    );
  });

  it('gives each --tree path its own directory', () => {
    const a = planBuildDir({ ...base, variant: 'tree', treePath: '/src/linux' });
    const b = planBuildDir({ ...base, variant: 'tree', treePath: '/src/linux-next' });
    expect(a).toMatch(/^\/c\/builds\/6\.12-tree-[0-9a-f]{8}-abababababab$/);
    expect(a).not.toBe(b);
  });
});

describe('firstErrors', () => {
  it('quotes the first compiler errors with context', () => {
    const log = [
      '  CC      init/main.o',
      '  CC      init/version.o',
      'init/main.c: In function ‘start_kernel’:',
      'init/main.c:900:9: error: ‘foo’ undeclared (first use in this function)',
      '  900 |         foo();',
      '      |         ^~~',
      'make[4]: *** [scripts/Makefile.build:229: init/main.o] Error 1',
      ...Array.from({ length: 20 }, (_, i) => `  CC      x${i}.o`),
    ].join('\n');
    const out = firstErrors(log, 2, 1);
    expect(out).toContain("init/main.c:900:9: error: ‘foo’ undeclared");
    expect(out).toContain('Error 1');
    expect(out).not.toContain('x10.o');
  });
});

describe('buildKernel requests', () => {
  it('refuses --base-ref without --tree, before touching any tree', async () => {
    const p = buildKernel({ base: '6.12', fragments: ['guest'], withPatches: true, baseRef: 'v6.12', cache: '/nonexistent/cache' });
    await expect(p).rejects.toBeInstanceOf(InputError);
    await expect(p).rejects.toThrow(/--base-ref needs --tree/);
  });
});

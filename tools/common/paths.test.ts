import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheDir, repoRoot } from './paths.js';

describe('cacheDir', () => {
  it('is outside the checkout: IOFS_CACHE, else $XDG_CACHE_HOME/iofs, else ~/.cache/iofs', () => {
    expect(cacheDir({ IOFS_CACHE: 'rel/dir', XDG_CACHE_HOME: '/x' }, '/home/u')).toBe(path.resolve('rel/dir'));
    expect(cacheDir({ XDG_CACHE_HOME: '/x/cache' }, '/home/u')).toBe('/x/cache/iofs');
    // The XDG spec says a relative value is invalid and must be ignored.
    expect(cacheDir({ XDG_CACHE_HOME: 'relative' }, '/home/u')).toBe('/home/u/.cache/iofs');
    expect(cacheDir({}, '/home/u')).toBe('/home/u/.cache/iofs');
    expect(cacheDir({}, '/home/u').startsWith(repoRoot + path.sep)).toBe(false);
  });
});

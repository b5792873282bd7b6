import { describe, expect, it } from 'vitest';
import { FUZZ_APPEND as fuzzAppend, FUZZ_FRAGMENTS as fuzzFragments, FUZZ_REGIONS as fuzzRegions } from '../fuzz/index.js';
import { defaultFragments } from '../kernel/index.js';
import { BisectExit } from '../bisect/index.js';
import { STATUS_FRAGMENTS as statusFragments } from '../status/index.js';
import { ACCEL_MODES as accelModes } from '../vm/index.js';
import { LAVA_ARCHES as lavaArches } from '../lava/index.js';
import * as facts from './facts.js';

describe('the CLI\'s copies of library values (so that --help loads no library)', () => {
  it('equal the libraries\' values', () => {
    expect(facts.ACCEL_MODES).toEqual(accelModes);
    expect(facts.KERNEL_DEFAULT_FRAGMENTS).toEqual(defaultFragments);
    expect(facts.STATUS_FRAGMENTS).toEqual(statusFragments);
    expect(facts.FUZZ_FRAGMENTS).toEqual(fuzzFragments);
    expect(facts.FUZZ_APPEND).toBe(fuzzAppend);
    expect(facts.FUZZ_REGIONS).toEqual(fuzzRegions);
    expect(facts.BISECT_ABORT).toBe(BisectExit.ABORT);
    expect(facts.LAVA_ARCHES).toEqual(lavaArches);
  });
});

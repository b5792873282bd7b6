/**
 * Values the help texts and option parsers quote, copied from the libraries
 * so that registering the verbs (what `iofs --help` does) loads none of them.
 * facts.test.ts fails as soon as a copy differs from its library's value.
 */
import type { AccelMode } from '../vm/index.js';
import type { FuzzRegion } from '../fuzz/index.js';
import type { LavaArch } from '../lava/index.js';

/** tools/vm/accel.ts ACCEL_MODES */
export const ACCEL_MODES: readonly AccelMode[] = ['auto', 'kvm', 'tcg'];
/** tools/kernel/build.ts defaultFragments */
export const KERNEL_DEFAULT_FRAGMENTS: readonly string[] = ['guest', 'erofs'];
/** tools/patches/status.ts STATUS_FRAGMENTS */
export const STATUS_FRAGMENTS: readonly string[] = ['guest', 'erofs', 'initrd-erofs', 'distro'];
/** tools/fuzz/run.ts FUZZ_FRAGMENTS */
export const FUZZ_FRAGMENTS: readonly string[] = ['guest', 'erofs', 'initrd-erofs', 'debug'];
/** tools/fuzz/run.ts FUZZ_APPEND */
export const FUZZ_APPEND = 'kasan.fault=panic panic_on_warn=1 softlockup_panic=1 sysctl.kernel.hung_task_panic=1';
/** tools/fuzz/plan.ts FUZZ_REGIONS */
export const FUZZ_REGIONS: readonly FuzzRegion[] = ['superblock', 'inode', 'directory', 'compressed-data', 'truncation', 'magic-garbage', 'size', 'layers'];
/** tools/patches/bisect.ts BisectExit.ABORT: git bisect run stops on it instead of marking a commit. */
export const BISECT_ABORT = 255;
/** tools/lava/job.ts LAVA_ARCHES */
export const LAVA_ARCHES: readonly LavaArch[] = ['x86_64'];

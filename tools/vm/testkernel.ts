/**
 * The one kernel the core integration tier builds (tools/test-tiers.ts): the
 * patched primary base with the guest, erofs and initrd-erofs fragments.
 * Every core test boots it, cpio guests included (the series leaves the cpio
 * path unchanged, which kmode-cpio-gzip proves), so a cold CI run compiles
 * one kernel, not one per test file.
 */
import { primaryBaseName } from '../kernel/index.js';

export const coreFragments = ['guest', 'erofs', 'initrd-erofs'];

/** The scenario `kernel` object of the core tier's kernel. */
export async function coreKernelSpec(): Promise<{ base: string; fragments: string[]; patches: true }> {
  return { base: await primaryBaseName(), fragments: coreFragments, patches: true };
}

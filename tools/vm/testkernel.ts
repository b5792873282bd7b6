/**
 * The one kernel the core integration tier builds (tools/test-tiers.ts): the
 * patched primary base with the guest, erofs, initrd-erofs and distro
 * fragments (distro: what Debian's initramfs-tools and dracut/systemd
 * initrds need, so the handover scenarios boot the same kernel). Every core
 * test boots it, cpio guests included (the series leaves the cpio path
 * unchanged, which kmode-cpio-gzip proves), so a cold CI run compiles one
 * kernel, not one per test file. The kmode-* and handover-* scenarios name
 * the same fragments, so `iofs vm test` reuses this build.
 */
import { primaryBaseName } from '../kernel/index.js';

export const coreFragments = ['guest', 'erofs', 'initrd-erofs', 'distro'];

/** The scenario `kernel` object of the core tier's kernel. */
export async function coreKernelSpec(): Promise<{ base: string; fragments: string[]; patches: true }> {
  return { base: await primaryBaseName(), fragments: coreFragments, patches: true };
}

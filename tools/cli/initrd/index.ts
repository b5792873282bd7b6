import type { Command } from 'commander';
import { registerPack } from './pack.js';
import { registerInspect } from './inspect.js';
import { registerImport } from './import.js';

/** `iofs initrd …`: one file per verb beside this one. */
export function registerInitrd(program: Command): Command {
  const group = program
    .command('initrd')
    .description('pack guest manifests into cpio or EROFS initrds, inspect and convert images')
    .addHelpText(
      'after',
      `
Formats: cpio (newc; compression none|gzip|zstd|lz4|xz, default gzip) and
erofs (mkfs.erofs; compression none|lz4|lz4hc, default lz4hc). Output is
reproducible: mtimes from SOURCE_DATE_EPOCH (or 0), root ownership, sorted entries.

Examples:
  iofs initrd pack --manifest test-vms/guest/manifest.json --format erofs -o guest.erofs
  iofs initrd inspect /boot/initrd.img-$(uname -r)
  iofs initrd import /boot/initrd.img-$(uname -r) --format erofs -o debian.erofs`,
    );
  registerPack(group);
  registerInspect(group);
  registerImport(group);
  return group;
}

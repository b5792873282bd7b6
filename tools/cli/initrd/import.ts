import type { Command } from 'commander';
import { InputError } from '../../common/errors.js';
import { log } from '../../common/log.js';
import type { ImportOptions } from '../../initrd/index.js';
import { action } from '../action.js';
import { CMDLINE_OPTION, reportDigest, sealWithVerity, VERITY_OPTION } from './digest.js';

interface ImportCliOptions {
  format: string;
  compress?: string;
  clusterSize?: string;
  keepEarly: boolean;
  output: string;
  cmdline?: string;
  verity?: boolean;
}

export function registerImport(group: Command): void {
  group
    .command('import')
    .description('convert an existing initramfs (cpio segments, any compression) or rootfs tarball to cpio or EROFS')
    .argument('<image>', 'initramfs image, or .tar/.tar.gz/.tar.xz/.tar.zst rootfs')
    .requiredOption('-f, --format <format>', 'cpio | erofs')
    .option('-c, --compress <name[,level]>', 'as for pack: cpio none|gzip|zstd|lz4|xz, erofs none|lz4|lz4hc[,level]')
    .option('--cluster-size <bytes>', 'EROFS physical cluster size (mkfs.erofs -C)')
    .option('--no-keep-early', 'fold a leading early cpio (microcode, ACPI tables) into the converted tree instead of keeping it in front')
    .option(...CMDLINE_OPTION)
    .option(...VERITY_OPTION)
    .requiredOption('-o, --output <file>', 'output image (written atomically)')
    .addHelpText(
      'after',
      `
All segments are unpacked in order (later files replace earlier ones, as the
kernel does) into one tree. Ownership becomes root; mtimes SOURCE_DATE_EPOCH or 0.
A leading early cpio, as initramfs-tools and dracut prepend it (uncompressed,
only files under kernel/: CPU microcode, ACPI table overrides), is kept in
front byte for byte, where the early loaders look for it: before an EROFS
image it is zero-padded to 4096 bytes, a layered initrd the patched kernel
walks. --no-keep-early folds it into the tree instead.
Example:
  iofs initrd import /boot/initrd.img-$(uname -r) -f erofs -c lz4hc,12 -o debian.erofs
  iofs initrd inspect debian.erofs      # the layers: early cpio, then the EROFS image`,
    )
    .action(
      action(
        async ({ signal }, image: string, o: ImportCliOptions) => {
          const { importImage, parseFormat, parseSize } = await import('../../initrd/index.js');
          if (o.verity && o.format !== 'erofs') throw new InputError('--verity applies to -f erofs: a cpio initrd is unpacked once, not read from later', { hint: 'verify a cpio initrd the way the boot chain verifies the kernel (a signed UKI holds both)' });
          const opts: ImportOptions = { input: image, format: parseFormat(o.format), output: o.output, signal };
          if (o.compress !== undefined) opts.compress = o.compress;
          if (o.clusterSize !== undefined) opts.clusterBytes = parseSize(o.clusterSize);
          opts.keepEarly = o.keepEarly;
          log.step(`importing ${image} as ${o.format}`);
          const r = await importImage(opts);
          for (const s of r.skipped) log.warn(`skipped ${s}`);
          if (r.early) log.info(`kept the early cpio in front (${r.early.bytes} bytes: ${r.early.files.join(', ')})`);
          log.info(`${r.entries} entries, ${r.format} ${r.compress}, sha256 ${r.sha256}`);
          const bytes = o.verity ? await sealWithVerity(r.output, o.cmdline, signal) : r.bytes;
          if (!o.verity) await reportDigest(r.digest, o.cmdline);
          process.stdout.write(`${r.output} ${bytes}\n`);
        },
        { interrupted: 'interrupted; temporary output removed' },
      ),
    );
}

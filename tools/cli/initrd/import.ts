import type { Command } from 'commander';
import { log } from '../../common/log.js';
import type { ImportOptions } from '../../initrd/index.js';
import { action } from '../action.js';

interface ImportCliOptions {
  format: string;
  compress?: string;
  clusterSize?: string;
  output: string;
}

export function registerImport(group: Command): void {
  group
    .command('import')
    .description('convert an existing initramfs (cpio segments, any compression) or rootfs tarball to cpio or EROFS')
    .argument('<image>', 'initramfs image, or .tar/.tar.gz/.tar.xz/.tar.zst rootfs')
    .requiredOption('-f, --format <format>', 'cpio | erofs')
    .option('-c, --compress <name[,level]>', 'as for pack: cpio none|gzip|zstd|lz4|xz, erofs none|lz4|lz4hc[,level]')
    .option('--cluster-size <bytes>', 'EROFS physical cluster size (mkfs.erofs -C)')
    .requiredOption('-o, --output <file>', 'output image (written atomically)')
    .addHelpText(
      'after',
      `
All segments are unpacked in order (later files replace earlier ones, as the
kernel does) into one tree. Ownership becomes root; mtimes SOURCE_DATE_EPOCH or 0.
Example:
  iofs initrd import /boot/initrd.img-$(uname -r) -f erofs -c lz4hc,12 -o debian.erofs`,
    )
    .action(
      action(
        async ({ signal }, image: string, o: ImportCliOptions) => {
          const { importImage, parseFormat, parseSize } = await import('../../initrd/index.js');
          const opts: ImportOptions = { input: image, format: parseFormat(o.format), output: o.output, signal };
          if (o.compress !== undefined) opts.compress = o.compress;
          if (o.clusterSize !== undefined) opts.clusterBytes = parseSize(o.clusterSize);
          log.step(`importing ${image} as ${o.format}`);
          const r = await importImage(opts);
          for (const s of r.skipped) log.warn(`skipped ${s}`);
          log.info(`${r.entries} entries, ${r.format} ${r.compress}, sha256 ${r.sha256}`);
          process.stdout.write(`${r.output} ${r.bytes}\n`);
        },
        { interrupted: 'interrupted; temporary output removed' },
      ),
    );
}

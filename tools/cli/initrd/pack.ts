import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { InputError } from '../../common/errors.js';
import { log } from '../../common/log.js';
import type { PackOptions } from '../../initrd/index.js';
import { action } from '../action.js';
import { archOption } from '../options.js';
import { CMDLINE_OPTION, reportDigest, sealWithVerity, VERITY_OPTION } from './digest.js';

interface PackCliOptions {
  manifest: string;
  format: string;
  compress?: string;
  payload?: string;
  authorizedKey: string[];
  clusterSize?: string;
  earlyManifest?: string;
  appendManifest: string[];
  output: string;
  cmdline?: string;
  verity?: boolean;
  arch?: string;
}

export function registerPack(group: Command): void {
  group
    .command('pack')
    .description('pack a guest manifest into an initrd (prints "PATH BYTES" on stdout)')
    .requiredOption('-m, --manifest <file>', 'guest manifest (JSON; format in test-vms/README.md)')
    .requiredOption('-f, --format <format>', 'cpio | erofs')
    .option('-c, --compress <name[,level]>', 'cpio: none|gzip|zstd|lz4|xz (default gzip,9); erofs: none|lz4|lz4hc[,0-12] (default lz4hc)')
    .option('--payload <size>', 'add SIZE bytes of deterministic benchmark data under /payload (e.g. 64M, 1G)')
    .option('--authorized-key <pubfile>', "install this OpenSSH public key as root's authorized_keys (repeatable)", collect, [])
    .option('--cluster-size <bytes>', 'EROFS physical cluster size (mkfs.erofs -C), multiple of 4096')
    .option('--early-manifest <file>', 'pack this manifest as an uncompressed cpio segment first (like early microcode); before an EROFS image it is zero-padded to 4096 bytes, a layered initrd')
    .option('--append-manifest <file>', 'erofs: append this manifest as an uncompressed cpio segment after the image (as a bootloader appends); repeatable, in order', collect, [])
    .option(...CMDLINE_OPTION)
    .option(...VERITY_OPTION)
    .requiredOption('-o, --output <file>', 'output image (written atomically)')
    .addOption(archOption("the guest's architecture: another one than the host's takes the manifest's binaries from Debian's packages for it (kernel-patches/arches.json), fetched into <cache>/sysroots/"))
    .addHelpText(
      'after',
      `
Examples:
  iofs initrd pack -m test-vms/guest/manifest.json -f cpio -c zstd,19 -o guest.cpio.zst
  iofs initrd pack -m test-vms/guest/manifest.json -f erofs -c lz4hc,12 --cluster-size 65536 \\
      --payload 256M --authorized-key ~/.ssh/id_ed25519.pub -o guest.erofs
  a layered initrd: an early cpio, the EROFS image, two archives after it (later files win):
  iofs initrd pack -m test-vms/guest/manifest.json -f erofs --early-manifest test-vms/layered/early/manifest.json \\
      --append-manifest test-vms/layered/after/manifest.json --append-manifest test-vms/layered/after2/manifest.json -o layered.img
  an image the kernel verifies block by block as it reads it (dm-verity; prints initrd_erofs_verity=<root>):
  iofs initrd pack -m test-vms/guest/manifest.json -f erofs --verity --cmdline verity.cmdline -o verified.img
  iofs initrd pack -m test-vms/guest/manifest.json -f erofs --arch arm64 -o guest-arm64.erofs
Environment: SOURCE_DATE_EPOCH sets every timestamp (default 0).`,
    )
    .action(
      action(
        async ({ signal }, o: PackCliOptions) => {
          const { archSysroot, packInitrd, parseFormat, parseSize } = await import('../../initrd/index.js');
          if (o.verity && o.format !== 'erofs') throw new InputError('--verity applies to -f erofs: a cpio initrd is unpacked once, not read from later', { hint: 'verify a cpio initrd the way the boot chain verifies the kernel (a signed UKI holds both)' });
          if (o.verity && o.appendManifest.length > 0) throw new InputError('--verity and --append-manifest: the hash tree must end the initrd, and archives after a verified image are refused by the kernel', { hint: 'put those files in the image (the manifest) or in an --early-manifest' });
          const opts: PackOptions = { manifestPath: o.manifest, format: parseFormat(o.format), output: o.output, signal };
          if (o.compress !== undefined) opts.compress = o.compress;
          if (o.payload !== undefined) opts.payloadBytes = parseSize(o.payload);
          if (o.clusterSize !== undefined) opts.clusterBytes = parseSize(o.clusterSize);
          if (o.earlyManifest !== undefined) opts.earlyManifestPath = o.earlyManifest;
          if (o.appendManifest.length > 0) opts.appendManifestPaths = o.appendManifest;
          if (o.authorizedKey.length > 0) opts.authorizedKeys = await readKeys(o.authorizedKey);
          if (o.arch !== undefined) {
            const { getArch } = await import('../../common/arch.js');
            const { cacheDir } = await import('../../common/paths.js');
            opts.sysroot = await archSysroot(await getArch(o.arch), cacheDir());
          }
          log.step(`packing ${o.manifest} as ${o.format}${o.payload ? ` with ${o.payload} payload` : ''}`);
          const r = await packInitrd(opts);
          log.info(`${r.format} ${r.compress}, sha256 ${r.sha256}`);
          const bytes = o.verity ? await sealWithVerity(r.output, o.cmdline, signal) : r.bytes;
          if (!o.verity) await reportDigest(r.digest, o.cmdline);
          process.stdout.write(`${r.output} ${bytes}\n`);
        },
        { interrupted: 'interrupted; temporary output removed' },
      ),
    );
}

/** The keys of each --authorized-key file, comments and blank lines left out. */
async function readKeys(files: string[]): Promise<string[]> {
  const keys: string[] = [];
  for (const f of files) {
    const text = await readFile(f, 'utf8').catch((err: unknown) => {
      throw new InputError(`--authorized-key ${f}: cannot read: ${(err as Error).message}`);
    });
    keys.push(...text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')));
  }
  return keys;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

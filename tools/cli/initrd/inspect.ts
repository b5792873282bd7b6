import type { Command } from 'commander';
import { action } from '../action.js';

export function registerInspect(group: Command): void {
  group
    .command('inspect')
    .description('say what an image is: cpio segments (offset, length, compression, entries) or the EROFS superblock')
    .argument('<image>', 'initrd image (cpio, possibly multi-segment and compressed, or EROFS)')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Exit code 2 when the file is neither a cpio initramfs nor an EROFS image.
Examples:
  iofs initrd inspect /boot/initrd.img-$(uname -r)
  iofs initrd inspect guest.erofs --json | jq .superblock.uuid`,
    )
    .action(
      action(async (_ctx, image: string, o: { json?: boolean }) => {
        const { formatReport, inspectImage } = await import('../../initrd/index.js');
        const r = await inspectImage(image);
        process.stdout.write(o.json ? JSON.stringify(r, null, 2) + '\n' : formatReport(r));
      }),
    );
}

/**
 * A bootconfig appended to an initrd, byte for byte as the kernel's
 * tools/bootconfig (`bootconfig -a`) writes it, so that a scenario can give
 * the kernel one without building that tool: the text and its NUL, zero
 * padding so that the whole initrd ends 4-byte aligned, then a 20-byte footer
 * (the size with padding and the byte sum of the text, both little-endian
 * u32, and "#BOOTCONFIG\n"). The kernel reads it only when "bootconfig" is
 * on the command line (or CONFIG_BOOT_CONFIG_FORCE), and then takes it off
 * the initrd's end before the initrd is unpacked.
 */
export const BOOTCONFIG_MAGIC = '#BOOTCONFIG\n';
const ALIGN = 4;
const FOOTER = 4 + 4 + BOOTCONFIG_MAGIC.length;
/** The kernel's limit on the bootconfig text (XBC_DATA_MAX, with its NUL). */
export const BOOTCONFIG_MAX = 32767;

/** The bytes to append to an initrd of `initrdBytes` bytes to give it this bootconfig text. Pure. */
export function bootconfigTrailer(text: string, initrdBytes: number): Buffer {
  const data = Buffer.concat([Buffer.from(text, 'utf8'), Buffer.alloc(1)]);
  if (data.length > BOOTCONFIG_MAX) throw new RangeError(`bootconfig of ${data.length} bytes, more than the kernel's ${BOOTCONFIG_MAX}`);
  const total = initrdBytes + data.length + FOOTER;
  const pad = (ALIGN - (total % ALIGN)) % ALIGN;
  let sum = 0;
  for (const b of data) sum = (sum + b) >>> 0;
  const footer = Buffer.alloc(FOOTER);
  footer.writeUInt32LE(data.length + pad, 0);
  footer.writeUInt32LE(sum, 4);
  footer.write(BOOTCONFIG_MAGIC, 8, 'latin1');
  return Buffer.concat([data, Buffer.alloc(pad), footer]);
}

/**
 * Public surface of the initrd packer (issue: foundation and packer).
 * STUB: signatures agreed between concerns; the implementation replaces the
 * bodies and may add fields, but keeps these names working.
 */
export type InitrdFormat = 'cpio' | 'erofs';

export interface PackOptions {
  /** Guest manifest (test-vms/…/manifest.json); relative paths inside resolve against it. */
  manifestPath: string;
  format: InitrdFormat;
  /** cpio: none|gzip|zstd|lz4|xz; erofs: none|lz4|lz4hc (optionally "lz4hc,12"). */
  compress?: string;
  /** Bytes of deterministic benchmark payload to add (never read by /init). */
  payloadBytes?: number;
  /** OpenSSH public key lines to install as root's authorized_keys (0600). */
  authorizedKeys?: string[];
  /** Output file; written atomically. */
  output: string;
}

export interface PackResult {
  output: string;
  format: InitrdFormat;
  compress: string;
  bytes: number;
  sha256: string;
}

export async function packInitrd(_opts: PackOptions): Promise<PackResult> {
  throw new Error('packInitrd: not implemented yet');
}

/**
 * Fuzzing with verification on (`iofs vm fuzz --verify`): every boot's
 * command line carries initrd_erofs_sha256= of the unmodified image, so the
 * kernel must refuse any mutant whose image differs before EROFS mounts it
 * (7.3 series patch 11: the digest is checked at claim time, after only the
 * superblock has been read to size the image). A mutant that leaves the
 * image's bytes alone (damage to an early cpio in front of it) may boot.
 * Pure.
 */
import type { Verdict } from './classify.js';

/** Where an image may sit in an initrd: at 0, or 4096-aligned after archives (the series' layout rule). */
const IMAGE_ALIGN = 4096;

/**
 * Does the mutant hold the unmodified image byte for byte at an offset the
 * kernel would look at? Then the digest matches wherever the kernel finds
 * it, and booting is right; otherwise the image is tampered. (Locating the
 * image by parsing the mutant instead would be fooled by the damage itself:
 * an early cpio without its trailer hides the image from a strict walker,
 * not from the kernel's.)
 */
export function holdsImage(mutant: Buffer, image: Buffer): boolean {
  if (image.length === 0) return false;
  for (let at = 0; at + image.length <= mutant.length; at += IMAGE_ALIGN) {
    if (mutant.compare(image, 0, image.length, at, at + image.length) === 0) return true;
  }
  return false;
}

export type VerifyOutcome =
  /** The image the kernel finds is the unmodified one: no constraint. */
  | 'intact'
  /** A tampered image that was never mounted: what verification promises. */
  | 'refused'
  /** A tampered image that the kernel mounted: verification failed. */
  | 'mounted-tampered';

export function judgeVerification(imageIntact: boolean, verdict: Pick<Verdict, 'mounted'>): VerifyOutcome {
  if (imageIntact) return 'intact';
  return verdict.mounted ? 'mounted-tampered' : 'refused';
}

export interface VerifySummary {
  /** The digest every boot was given: the unmodified image's. */
  sha256: string;
  cmdline: string;
  intact: number;
  refused: number;
  /** Case ids of tampered images that were mounted: any is a failure of the series. */
  mountedTampered: number[];
}

export function summarizeVerification(sha256: string, cmdline: string, cases: ReadonlyArray<{ id: number; verify?: VerifyOutcome }>): VerifySummary {
  const judged = cases.filter((c) => c.verify !== undefined);
  return {
    sha256,
    cmdline,
    intact: judged.filter((c) => c.verify === 'intact').length,
    refused: judged.filter((c) => c.verify === 'refused').length,
    mountedTampered: judged.filter((c) => c.verify === 'mounted-tampered').map((c) => c.id).sort((a, b) => a - b),
  };
}

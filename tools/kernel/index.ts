/**
 * Public surface of kernel trees and builds (issue: kernel builds and VM tests).
 * STUB: signatures agreed between concerns; the implementation replaces the
 * bodies and may add fields, but keeps these names working.
 */
export interface BuildRequest {
  /** Base name from kernel-patches/bases.json, e.g. "6.12". */
  base: string;
  /** A developer's own kernel git checkout instead of the prepared tree. */
  tree?: string;
  /** Config fragment names (kernel-patches/configs/<name>.config) or paths. */
  fragments: string[];
  /** false: build the pristine base, without the series. */
  withPatches: boolean;
}

export interface BuildResult {
  bzImage: string;
  buildDir: string;
  /** JSON metadata file written next to the build (base, versions, hashes, durations). */
  metadataPath: string;
  /** `make kernelrelease`, what `uname -r` prints in the guest. */
  kernelRelease: string;
}

export async function buildKernel(_req: BuildRequest): Promise<BuildResult> {
  throw new Error('buildKernel: not implemented yet');
}

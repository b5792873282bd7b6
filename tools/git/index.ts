/**
 * git and patch series, below both kernel trees and the patches tooling:
 * the thin git wrapper, the series file (apply order, KCIDB hash) and
 * applying a series with `git am -3`. Kernel builds apply the series when a
 * tree is still at its base; the patches verbs export, check and format it.
 */
export { amInProgress, dirtyPaths, git, iofsIdentityEnv, revParse } from './git.js';
export {
  coverLetterName,
  formatSeries,
  numberedPatchPattern,
  parseSeries,
  patchFiles,
  patchSubject,
  readSeries,
  seriesFileName,
  seriesHash,
  type Series,
} from './series.js';
export { applySeries, commitsSinceBase, patchId, seriesState, PatchConflictError, type ApplyResult, type SeriesState, type SeriesTree } from './apply.js';

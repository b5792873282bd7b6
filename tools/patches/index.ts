/**
 * Public surface of the patch-series tooling: kernel-patches/<base>/ holds
 * `series` (apply order), 0000-cover-letter.patch (hand-written) and the
 * numbered `git format-patch` files.
 */
export { applySeries, commitsSinceBase, seriesState, type SeriesState, PatchConflictError, type ApplyResult, type SeriesTree } from './apply.js';
export { exportSeries, filesToKeep, type ExportResult } from './export.js';
export { checkSeries, parseCheckpatchTotals, type CheckResult, type PatchCheck } from './check.js';
export {
  coverLetterName,
  formatSeries,
  parseSeries,
  patchFiles,
  patchSubject,
  readSeries,
  seriesHash,
  type Series,
} from './series.js';

/**
 * `iofs patches status`: where the series stands on every base (applies,
 * builds, checkpatch, scenarios), a workflow over the patches, kernel and
 * vm layers.
 */
export {
  STATUS_FRAGMENTS,
  cellName,
  columnSummary,
  planStatus,
  renderStatus,
  runCells,
  runStatus,
  seriesScenarios,
  verdict,
  type BaseSeries,
  type CellKind,
  type CellPlan,
  type CellResult,
  type CellState,
  type StatusOptions,
  type StatusReport,
} from './status.js';

/**
 * Rendering of benchmark summaries: markdown tables and an SVG plot, by our
 * own small code (no plotting dependency).
 */
export { renderMarkdown, formatStats, type ReportInput, type ReportMode, type ModeKind } from './table.js';
export { renderSvg, niceStep, ticks, escapeXml, type PlotInput } from './svg.js';

// Prints the end-of-run summary of scripts/test (see tools/test-tiers.ts).
// Usage: tsx tools/test-summary.ts REPORT.json full|core
import { readFileSync } from 'node:fs';
import { repoRoot } from './common/paths.js';
import { endOfRunSummary } from './test-tiers.js';

const [reportFile, tier] = process.argv.slice(2);
let report: Parameters<typeof endOfRunSummary>[0];
try {
  report = JSON.parse(readFileSync(reportFile ?? '', 'utf8'));
} catch {
  report = undefined;
}
process.stdout.write(`${endOfRunSummary(report, tier === 'full', repoRoot).join('\n')}\n`);

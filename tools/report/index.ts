/**
 * Public surface of the main job's report (`iofs demo`): which scenarios it
 * boots (test-vms/demo.json) and the markdown it prints. Benchmark tables
 * and plots are rendered in tools/bench.
 */
export { renderDemoReport, loadDemoSpec, demoSpecSchema, demoFile, type DemoBoot, type DemoSpec } from './demo.js';

/** Public surface of LAVA support: job and device rendering, export of scenarios as LAVA jobs, and mapping LAVA logs back to outcomes. */
export { toYaml, type YamlValue } from './yaml.js';
export { jsRegexToEre, guestCheck, parseGuestOutputs, lavaCaseName, resultPattern, GUEST_DIR, type GuestCheck, type GuestCheckOutput } from './guest-checks.js';
export { renderJob, lavaCommandLine, GUEST_PROMPT, CONSOLE_SHELL_PARAM, LAVA_ARCHES, type LavaArch, type JobInput, type RenderedJob } from './job.js';
export { renderDevice, deviceQemuOptions, type DeviceOptions } from './device.js';
export { parseLavaLog, consoleLines, lavaResults, downloadedUrls, mapLavaLog, jobForLog, type ExportedJob, type LogEntry, type LavaResult } from './results.js';
export { exportLavaJobs, readExport, JOBS_FILE, type ExportOptions, type ExportResult } from './export.js';

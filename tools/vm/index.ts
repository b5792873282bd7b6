/**
 * Public surface of VM booting and testing: QEMU command lines, console
 * parsing, acceleration choice, SSH, scenarios, plans, runs and reports.
 */
export { buildQemuArgs, kernelCommandLine, isHostForwardClash, qemuOptionValue, BASE_APPEND, X86_64_MACHINE, type Accel, type QemuArgsOptions, type QemuMachine, type SerialMode } from './qemu-args.js';
export { startQemu, qemuVersion, QEMU_BINARY, type RunningQemu, type QemuExit, type StartOptions } from './qemu.js';
export { pickFreePort } from './ports.js';
export {
  LineSplitter, formatTimestampedLine, parseConsoleFacts, parseMarker, findPanic, splitPrintk, stripControl, isKernelLine,
  type ConsoleFacts, type Marker, type PanicReport, type PanicKind,
} from './console.js';
export { resolveAccel, ACCEL_MODES, type AccelMode, type AccelDecision } from './accel.js';
export { ensureSshKey, connectSsh, SshSession, shellQuote, type SshKey } from './ssh.js';
export { bzImageRelease, inspectKernel, isArm64Image } from './bzimage.js';
export {
  loadScenario, parseScenario, scenarioSchema, checksSchema, sizeTextSchema, listScenarios, scenarioPath, parseSize, scenariosDir, expandScenarioArgs, matchScenarioNames, isScenarioPattern,
  EXPECTABLE_OUTCOMES,
  type Scenario, type Check, type CheckExpect, type ImageSpec, type InitrdSpec, type DiskSpec, type BootExpectation, type ExpectedOutcome,
} from './scenario.js';
export { judgeCheck, judgeBoot, consoleMessages, substitute, type ExecResult, type Variables, type ObservedBoot } from './checks.js';
export {
  planScenario, runDirName, initrdFileName, imageFileName, editedFileName, SANITIZE_APPEND, SANITIZE_FRAGMENTS,
  type ScenarioPlan, type BootRequest, type KernelPlan, type ImagePlan, type InitrdPlan, type DiskPlan,
} from './plan.js';
export { Guest, type GuestOptions, type SshWait } from './guest.js';
export { runScenario, createRunDir, buildKernelOnce, consoleLogTimeOf, digestParameter, verityParameter, expectedInitrdFiles, type RunResult, type CheckRecord, type Timings, type ImageRecord, type InitrdRecord } from './runner.js';
export { runScenarios, type SuiteOptions, type SuiteResult } from './suite.js';
export { OUTCOME_EXIT_CODE, worstExitCode, type Outcome } from './outcome.js';
export { renderJunit, escapeXml, type JunitSuite, type JunitCase } from './junit.js';
export { summaryLine, junitSuite, junitNotRun } from './report.js';
export { bootInteractive, type InteractiveBootOptions } from './boot.js';

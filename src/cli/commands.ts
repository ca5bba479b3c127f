// The commands besides `analyze`, each in its own modules: main.ts loads
// this only when the command line may name one of them (or asks for help or
// completion), so an `analyze` run does not start by compiling the
// generator, the monitor, the live session and the HTML report.

export { addDecodePbCommand } from './decode-pb.js';
export { addReportCommand } from './report.js';
export { dissect } from './dissect.js';
export { addGenerateCommand } from './generate.js';
export { addMonitorCommand } from './monitor.js';
export { addRunCommand } from './run.js';
export { addReplayCommand } from './replay.js';
export { addSipCommand } from './sip.js';
export { addLiveCommands } from './live.js';
export { hepOptions } from './hep-options.js';
import { RunError } from '../run/observers.js';
import { MonitorError } from '../monitor/monitor.js';
import { GenerateError } from '../generator/generate.js';

/** Their errors that are the user's to act on: one line and exit 2, as a UsageError. */
export const USER_ERRORS: ReadonlyArray<abstract new (...args: never[]) => Error> = [GenerateError, MonitorError, RunError];

// Runs one `analyze` pass in a fresh process and prints its figures as JSON,
// so the benchmark measures throughput, CPU time and peak RSS per input size.
// `--no-media`: without the RTP/RTCP statistics (what they cost is the difference).

import { analyzeFile } from '../../src/analysis/analyze.js';

const file = process.argv[2];
const withoutMedia = process.argv.includes('--no-media');
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const report = await analyzeFile(file, {}, {}, [], { withoutMedia });
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
// CPU time (user + system, all threads) beside the wall time: on a shared machine it moves less with the load.
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
process.stdout.write(JSON.stringify({ packets: report.capture.packets, seconds, cpuSeconds, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));

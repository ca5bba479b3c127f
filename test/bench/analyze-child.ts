// Runs one `analyze` pass in a fresh process and prints its figures as JSON,
// so the benchmark measures throughput and peak RSS per input size.

import { analyzeFile } from '../../src/analysis/analyze.js';

const file = process.argv[2];
const t0 = process.hrtime.bigint();
const report = await analyzeFile(file);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(JSON.stringify({ packets: report.capture.packets, seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));

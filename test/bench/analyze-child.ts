// Runs one `analyze` pass in a fresh process and prints its figures as JSON,
// so the benchmark measures throughput and peak RSS per input size.
// `--no-media`: without the RTP/RTCP statistics (what they cost is the difference).

import { analyzeFile } from '../../src/analysis/analyze.js';

const file = process.argv[2];
const withoutMedia = process.argv.includes('--no-media');
const t0 = process.hrtime.bigint();
const report = await analyzeFile(file, {}, {}, [], { withoutMedia });
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(JSON.stringify({ packets: report.capture.packets, seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));

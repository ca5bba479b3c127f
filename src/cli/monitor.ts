// `ucprobe monitor`: receive heartbeats on a UDP port, print detector events
// as they happen, and the whole report when stopped (Ctrl-C or --duration).

import type { Command } from 'commander';
import { DEFAULT_RCVBUF, Monitor, type MonitorReport } from '../monitor/monitor.js';
import { DEFAULT_MAX_STREAMS } from '../heartbeat/detector.js';
import { EventFeed } from '../monitor/event-feed.js';
import type { HeartbeatEvent } from '../heartbeat/events.js';
import { describeEvent, heartbeatText } from '../output/heartbeat-text.js';
import { formatTime } from '../common/time-format.js';
import { PbStreamWriter } from '../pb/stream.js';
import { heartbeatEventMessage, heartbeatStreamMessage } from '../pb/records.js';
import { formatOptions, outputFormat, outputWriter, type FormatFlags } from './format.js';
import { decodeOptions, detectorFlags, heartbeatOptions, pipelineOptions, reloadOnHangup, settingsText, type HeartbeatFlags } from './options.js';
import { byteSize, durationMs, hostPort, port, wholeNumber } from './parse.js';
import { UsageError } from '../common/errors.js';

interface MonitorFlags extends HeartbeatFlags, FormatFlags {
  port: string;
  bind?: string;
  duration?: string;
  tcpPeer?: string;
  tcpListen?: string;
  eventsListen?: string;
  maxStreams?: string;
  rcvbuf?: string;
}

/** What the receiver did, for the text report. */
function receiverText(r: MonitorReport['receiver']): string {
  const lines = [
    `Receiver: ${r.kernelTimestamps ? 'kernel timestamps' : "Node's dgram (arrival = read time)"}, receive buffer ${r.rcvbuf === null ? '?' : `${(r.rcvbuf / (1 << 20)).toFixed(1)} MiB granted`}, ` +
      `${r.kernelDrops} dropped by the kernel (queue full), ${r.stalls} stall(s) of this process${r.stalls ? ` (longest ${r.longestStallMs} ms)` : ''}`,
  ];
  if (r.notHeartbeats) lines.push(`  ${r.notHeartbeats} datagram(s) that were not heartbeats, ignored`);
  if (r.truncated) lines.push(`  ${r.truncated} datagram(s) longer than the receive slot, cut`);
  return lines.join('\n');
}

export function addMonitorCommand(program: Command): void {
  const cmd = program
    .command('monitor')
    .description('receive heartbeats on a UDP port and run the five-miss detector on the wall clock')
    .requiredOption('--port <n>', 'UDP port to listen on')
    .option('--bind <addr>', 'local address to listen on (default: all)')
    .option('--json', 'events as JSON lines, then the report as one JSON line')
    .option('--duration <time>', 'stop after this long, e.g. 30s (default: until Ctrl-C)')
    .option('--tcp-peer <host:port>', 'keep a TCP connection to the peer and reset it at a failover')
    .option('--tcp-listen <port>', 'accept TCP connections and reset them at a failover')
    .option('--events-listen <port>', 'serve events as JSON lines to TCP clients (for `ucprobe run --remote-monitor`)')
    .option('--max-streams <n>', `heartbeat streams watched at once; more are counted, with a warning (default ${DEFAULT_MAX_STREAMS})`)
    .option('--rcvbuf <size>', `socket receive buffer to ask for, e.g. 8M (default ${DEFAULT_RCVBUF >> 20}M; past net.core.rmem_max only as root)`);
  for (const o of [...formatOptions(['text', 'json', 'pb']), ...decodeOptions(), ...heartbeatOptions()]) cmd.addOption(o);
  cmd.action(async (flags: MonitorFlags) => {
    const format = outputFormat(flags);
    const out = outputWriter(flags, format);
    const origin = Date.now() / 1000;
    const pb = format === 'pb' ? new PbStreamWriter(out, 'monitor', [`udp port ${flags.port}`], origin) : null;
    const feed = flags.eventsListen !== undefined ? new EventFeed(() => ({ hello: { udpPort: monitor.port, tcpPort: monitor.tcpPort, startedAt: origin } })) : null;
    const print = (e: HeartbeatEvent, declaredAt: number): void => {
      const sec = Math.floor(e.time);
      if (pb) {
        pb.write({ heartbeatEvent: heartbeatEventMessage(e, declaredAt) });
        pb.flush();
      } else {
        out.line(format === 'json' ? JSON.stringify({ ...e, declaredAt }) : `${formatTime(sec, Math.round((e.time - sec) * 1e9) % 1e9, 'utc', 0)}  ${e.type.padEnd(17)} ${describeEvent(e, origin, true)}`);
        out.flush();
      }
      feed?.send({ event: e, declaredAt });
    };
    const maxStreams = flags.maxStreams !== undefined ? wholeNumber(flags.maxStreams, '--max-streams', 10_000_000) : undefined;
    if (maxStreams === 0) throw new UsageError('--max-streams: must be at least 1');
    const monitor = new Monitor({
      port: port(flags.port, '--port'),
      bind: flags.bind,
      maxStreams,
      rcvbuf: flags.rcvbuf !== undefined ? byteSize(flags.rcvbuf, '--rcvbuf', 4096, 1 << 30) : undefined,
      params: detectorFlags(flags),
      pipeline: pipelineOptions(flags),
      onEvent: print,
      onReset: (e, connections) => feed?.send({ reset: { stream: e.stream, lastSeq: e.lastSeq, connections } }),
      onNotice: (msg) => process.stderr.write(`ucprobe: ${msg}\n`),
      tcpPeer: flags.tcpPeer ? hostPort(flags.tcpPeer, '--tcp-peer') : undefined,
      tcpListen: flags.tcpListen !== undefined ? port(flags.tcpListen, '--tcp-listen') : undefined,
    });
    const limit = flags.duration !== undefined ? durationMs(flags.duration, '--duration', 's') : undefined;
    await monitor.start();
    const feedPort = feed ? await feed.listen(port(flags.eventsListen!, '--events-listen'), flags.bind) : null;
    const rx = monitor.receiverState;
    const buffer = `receive buffer ${rx.rcvbuf === null ? '?' : `${(rx.rcvbuf / (1 << 20)).toFixed(1)} MiB`} granted${rx.kernelTimestamps ? ', kernel timestamps' : ''}`;
    if (format === 'text') {
      out.line(`listening for heartbeats on UDP ${flags.bind ?? '*'}:${monitor.port}${limit ? ` for ${limit / 1000} s` : ' (Ctrl-C to stop)'}; ${buffer}`);
      if (feedPort !== null) out.line(`serving events as JSON lines on TCP ${flags.bind ?? '*'}:${feedPort}`);
    }
    out.flush();
    reloadOnHangup(flags, (p) => monitor.setParams(p), (p) => {
      if (format === 'pb') return;
      out.line(format === 'json' ? JSON.stringify({ type: 'settings', params: p }) : `heartbeat settings now: ${settingsText(p)}`);
      out.flush();
    });
    await new Promise<void>((resolve) => {
      if (limit !== undefined) setTimeout(resolve, limit);
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    const report = monitor.stop();
    feed?.close({ report });
    if (pb) {
      for (const s of report.streams) pb.write({ heartbeatStream: heartbeatStreamMessage(s) });
      pb.end();
      return;
    }
    out.line(format === 'json' ? JSON.stringify({ report }) : `\n${heartbeatText(report, origin)}${receiverText(report.receiver)}`);
    out.close();
  });
}

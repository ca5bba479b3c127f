// DSCP marking on a UDP socket: IP_TOS (IPv4) or IPV6_TCLASS (IPv6) through
// the `sockopt` addon, since Node has no API for either.

import { createRequire } from 'node:module';
import type { Socket } from 'node:dgram';

const IPPROTO_IP = 0;
const IP_TOS = 1;
const IPPROTO_IPV6 = 41;
const IPV6_TCLASS = 67;

export type SetSockOpt = (fd: number, level: number, name: number, value: number) => void;

function loadBinding(): SetSockOpt {
  const require = createRequire(import.meta.url);
  try {
    // The native part directly: sockopt's wrapper reads the fd through a deprecated getter that warns on stderr.
    const dir = require.resolve('sockopt/package.json').replace(/package\.json$/, '');
    const gypBuild = require('node-gyp-build') as (d: string) => { setsockopt: SetSockOpt };
    return gypBuild(dir).setsockopt;
  } catch (e) {
    throw new Error(`DSCP marking needs the optional 'sockopt' addon, which did not load (${(e as Error).message.split('\n')[0]}); reinstall with npm install`);
  }
}

/** The socket's file descriptor; Node keeps it on the handle. */
function fdOf(socket: Socket): number {
  const quiet = process.noDeprecation;
  process.noDeprecation = true;
  try {
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) throw new Error('socket has no file descriptor (not bound yet?)');
    return fd;
  } finally {
    process.noDeprecation = quiet;
  }
}

/** Mark everything the (bound) socket sends with `dscp` (0..63); ECN bits stay 0. `set`: the addon's setsockopt (tests pass one that refuses). */
export function setSocketDscp(socket: Socket, family: 4 | 6, dscp: number, set: SetSockOpt = loadBinding()): void {
  const fd = fdOf(socket);
  try {
    if (family === 4) set(fd, IPPROTO_IP, IP_TOS, dscp << 2);
    else set(fd, IPPROTO_IPV6, IPV6_TCLASS, dscp << 2);
  } catch (e) {
    throw new Error(`the system refused ${family === 4 ? 'IP_TOS' : 'IPV6_TCLASS'} ${dscp << 2} (DSCP ${dscp}): ${(e as Error).message}`);
  }
}

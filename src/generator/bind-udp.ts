// Binding the lab commands' UDP sockets, with the reason for a failure in
// words a user can act on (the generator's source port, the monitor's port).

import type { Socket } from 'node:dgram';

/** Why a bind or listen failed, in words. */
export function bindFailure(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'EADDRINUSE': return 'address in use';
    case 'EACCES': return 'permission denied (ports below 1024 need root)';
    case 'EADDRNOTAVAIL': return 'no such local address';
    default: return e.message;
  }
}

/** Bind exclusively; on failure the socket is closed and the promise rejects with `bindFailure`'s words. */
export function bindUdp(socket: Socket, port: number, address: string | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', reject);
      resolve();
    });
  }).catch((e: NodeJS.ErrnoException) => {
    socket.close();
    throw new Error(bindFailure(e));
  });
}

// TCP connect check: success when the handshake completes within the timeout (the connection is then
// closed at once). OpenShift's ipfailover checks its monitor port this way.

import { Socket } from 'node:net';
import type { ProbeResult } from '../check.js';
import { errorCode } from '../../errors.js';

export function probeTcp(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let settled = false;
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ ok: false, detail: `no connection to ${host}:${port} within ${timeoutMs} ms` }),
      timeoutMs,
    );
    socket.once('connect', () => finish({ ok: true, detail: `connected to ${host}:${port}` }));
    socket.once('error', (error: Error) =>
      finish({ ok: false, detail: `${host}:${port}: ${errorCode(error) ?? error.message}` }),
    );
    socket.connect({ host, port });
  });
}

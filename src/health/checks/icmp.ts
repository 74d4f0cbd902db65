// ICMP echo check through net-ping (a raw socket: needs CAP_NET_RAW). One session per address family
// and timeout is shared by every check that uses it; net-ping matches replies to requests itself.

import { isIPv6 } from 'node:net';
import { createRequire } from 'node:module';
import type { ProbeResult } from '../check.js';

interface PingSession {
  pingHost(target: string, callback: (error: Error | null, target: string) => void): void;
  close(): void;
  on(event: 'error', listener: (error: Error) => void): void;
}
interface NetPing {
  createSession(options: {
    networkProtocol: number;
    timeout: number;
    retries: number;
    packetSize?: number;
  }): PingSession;
  NetworkProtocol: { IPv4: number; IPv6: number };
}

const require = createRequire(import.meta.url);

export class PingSessions {
  private readonly sessions = new Map<string, PingSession>();
  private netPing: NetPing | undefined;

  probe(host: string, timeoutMs: number): Promise<ProbeResult> {
    let session: PingSession;
    try {
      session = this.session(isIPv6(host) ? 6 : 4, timeoutMs);
    } catch (error) {
      return Promise.resolve({ ok: false, detail: `cannot ping: ${(error as Error).message}` });
    }
    return new Promise((resolve) => {
      try {
        session.pingHost(host, (error) =>
          resolve(
            error
              ? {
                  ok: false,
                  detail: `${host}: ${error.constructor.name === 'RequestTimedOutError' ? `no echo reply within ${timeoutMs} ms` : error.message}`,
                }
              : { ok: true, detail: `echo reply from ${host}` },
          ),
        );
      } catch (error) {
        resolve({ ok: false, detail: `${host}: ${(error as Error).message}` });
      }
    });
  }

  close(): void {
    for (const session of this.sessions.values()) session.close();
    this.sessions.clear();
  }

  private session(family: 4 | 6, timeoutMs: number): PingSession {
    const key = `${family}/${timeoutMs}`;
    let session = this.sessions.get(key);
    if (session === undefined) {
      this.netPing ??= require('net-ping') as NetPing;
      const networkProtocol = family === 6 ? this.netPing.NetworkProtocol.IPv6 : this.netPing.NetworkProtocol.IPv4;
      session = this.netPing.createSession({ networkProtocol, timeout: timeoutMs, retries: 0 });
      // A socket error fails the requests in flight (their callbacks run); the session is rebuilt next time.
      session.on('error', () => this.sessions.delete(key));
      this.sessions.set(key, session);
    }
    return session;
  }
}

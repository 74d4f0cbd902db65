// Requests and their replies on one rtnetlink socket of the addon (RtnlSocket): each request gets a
// sequence number, its reply messages are collected until the kernel's ack, error or NLMSG_DONE, and
// a failure comes back as a NetlinkError with the kernel's errno name. Nothing blocks: the request is
// written synchronously (so an address add leaves in the caller's turn of the event loop), the reply
// is read when libuv finds the socket readable.

import { getSystemErrorName } from 'node:util';
import { asCodedError } from '../errors.js';
import { loadNative, type NativeRtnlSocket, type SystemError } from './native.js';
import {
  encodeMessage,
  messageError,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  parseMessages,
  type NetlinkMessage,
} from './rtnetlink-codec.js';

/** A kernel (or socket) failure with Node's conventions: `code` 'EEXIST', negative `errno`. */
export class NetlinkError extends Error {
  readonly code: string;
  readonly errno: number;
  /** The request that failed, e.g. 'RTM_NEWADDR'. */
  readonly syscall: string;

  constructor(syscall: string, errno: number, detail?: string) {
    const negative = errno > 0 ? -errno : errno;
    let code: string;
    try {
      code = getSystemErrorName(negative);
    } catch {
      code = `E${-negative}`;
    }
    super(`${syscall} failed: ${code}${detail ? ` (${detail})` : ''}`);
    this.name = 'NetlinkError';
    this.code = code;
    this.errno = negative;
    this.syscall = syscall;
  }
}

/** A counting semaphore: at most `limit` holders; the others wait in arrival order. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.free = limit;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/**
 * Replies in flight are bounded so that they fit the socket's receive buffer (rmem_default, often
 * 208 KiB) even when the event loop is late to read them: a reply the kernel cannot queue is lost.
 * A dump part is at most ~32 KiB (and the kernel writes the next only once the last was read), an
 * ack 36 bytes (NETLINK_CAP_ACK).
 */
const MAX_REQUESTS_IN_FLIGHT = 32;
const MAX_DUMPS_IN_FLIGHT = 1;
const REQUEST_TIMEOUT_MS = 5000;
/** A dump the kernel marks interrupted (the table changed while it was read) is read again, this often. */
const DUMP_ATTEMPTS = 3;

interface Pending {
  readonly syscall: string;
  readonly dump: boolean;
  readonly messages: NetlinkMessage[];
  interrupted: boolean;
  readonly settle: (error: Error | undefined) => void;
}

interface Reply {
  readonly messages: NetlinkMessage[];
  readonly interrupted: boolean;
}

/**
 * The receive buffer of request sockets opened from now on (vrrp_netlink_cmd_rcv_bufs); undefined:
 * the kernel's default. Process-wide, as keepalived's one command socket: every client gets it.
 */
let commandBuffer: { readonly receiveBufferBytes: number; readonly receiveBufferForce: boolean } | undefined;

export function setCommandReceiveBuffer(buffer: { readonly bytes: number; readonly force: boolean } | undefined): void {
  commandBuffer = buffer && { receiveBufferBytes: buffer.bytes, receiveBufferForce: buffer.force };
  // The takeover kit's socket sends VIP adds too; left alone when nothing is set (its default stays).
  if (buffer) loadNative().takeoverKitReceiveBuffer(buffer.bytes, buffer.force);
}

/** One socket for requests, opened on first use. Open it in the network namespace it should act on. */
export class RtnlRequester {
  private socket: NativeRtnlSocket | undefined;
  private sequence = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly requestSlots = new Slots(MAX_REQUESTS_IN_FLIGHT);
  private readonly dumpSlots = new Slots(MAX_DUMPS_IN_FLIGHT);

  /**
   * Sends `body` as a `type` request and resolves with the kernel's reply messages (acks, errors and
   * NLMSG_DONE left out); rejects with a NetlinkError carrying the kernel's errno. A dump
   * (NLM_F_DUMP in `flags`) that the kernel reports interrupted is read again.
   */
  request(syscall: string, type: number, body: Buffer, flags: number): Promise<NetlinkMessage[]> {
    if ((flags & NLM_F_DUMP) !== NLM_F_DUMP) {
      return this.requestSlots.run(async () => (await this.send(syscall, type, body, flags | NLM_F_ACK)).messages);
    }
    return this.dumpSlots.run(() =>
      this.requestSlots.run(async () => {
        for (let attempt = 1; ; attempt++) {
          const reply = await this.send(syscall, type, body, flags);
          if (!reply.interrupted || attempt >= DUMP_ATTEMPTS) return reply.messages;
        }
      }),
    );
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
    this.failAll(() => new NetlinkError('close', 125, 'the rtnetlink socket was closed'));
  }

  private open(): NativeRtnlSocket {
    if (!this.socket) {
      try {
        this.socket = new (loadNative().RtnlSocket)(commandBuffer ?? {}, (error, data) => this.onReceive(error, data));
      } catch (error) {
        throw asCodedError(error, 'ENETLINK');
      }
      // A request in flight holds the loop through its timeout timer; an idle socket never does.
      this.socket.unref();
    }
    return this.socket;
  }

  /** Writes the request now (synchronously), and waits for its reply. */
  private send(syscall: string, type: number, body: Buffer, flags: number): Promise<Reply> {
    const socket = this.open();
    this.sequence = (this.sequence + 1) >>> 0 || 1;
    const seq = this.sequence;
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(
        () => entry.settle(new NetlinkError(syscall, 110, `no reply in ${REQUEST_TIMEOUT_MS} ms`)),
        REQUEST_TIMEOUT_MS,
      );
      const entry: Pending = {
        syscall,
        dump: (flags & NLM_F_DUMP) === NLM_F_DUMP,
        messages: [],
        interrupted: false,
        settle: (error) => {
          clearTimeout(timer);
          this.pending.delete(seq);
          if (error) reject(error);
          else resolve({ messages: entry.messages, interrupted: entry.interrupted });
        },
      };
      this.pending.set(seq, entry);
      try {
        socket.send(encodeMessage(type, flags | NLM_F_REQUEST, seq, body));
      } catch (error) {
        entry.settle(asCodedError(error, 'ENETLINK'));
      }
    });
  }

  private onReceive(error: SystemError | null, data: Buffer | null): void {
    if (error) {
      // ENOBUFS: replies were lost. A dump missing a part can never finish; acks that made it still
      // come, a lost one ends in its request's timeout. Any other read error fails everything.
      const dumpsOnly = error.code === 'ENOBUFS';
      this.failAll(() => asCodedError(error, 'ENETLINK'), dumpsOnly);
      return;
    }
    if (!data) return;
    for (const message of parseMessages(data)) {
      const entry = this.pending.get(message.seq);
      if (!entry) continue; // the reply to a request that timed out
      if (message.type === NLMSG_ERROR || message.type === NLMSG_DONE) {
        const errno = messageError(message);
        entry.settle(errno < 0 ? new NetlinkError(entry.syscall, errno) : undefined);
        continue;
      }
      if ((message.flags & NLM_F_DUMP_INTR) !== 0) entry.interrupted = true;
      entry.messages.push(message);
    }
  }

  private failAll(makeError: () => Error, dumpsOnly = false): void {
    for (const entry of [...this.pending.values()]) {
      if (dumpsOnly && !entry.dump) continue;
      entry.settle(makeError());
    }
  }
}

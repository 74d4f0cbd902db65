// Address-port calls and events in causal order with a synchronous transport (docs/embedding.md's
// kind): a port that delivers a sent advert to a peer engine at once, whose reply reaches this engine
// while it is still carrying out the actions that sent it.
import t from 'tap';
import { buildRouterConfig } from '../../src/model/router-config.js';
import { Engine } from '../../src/engine/engine.js';
import type { AddressPort, IncomingPacket, OutgoingPacket, PacketPort } from '../../src/engine/ports.js';
import { ManualClock } from './fake-ports.js';

/** Two ends of an in-process wire: send() hands each packet to the other end's listener at once. */
function synchronousWire(): [PacketPort, PacketPort] {
  const listeners: ((packet: IncomingPacket) => void)[] = [];
  const end = (self: number): PacketPort => ({
    send(packets: readonly OutgoingPacket[]) {
      for (const p of packets) {
        listeners[1 - self]?.({
          interface: p.interface,
          payload: p.payload,
          meta: {
            family: p.family,
            sourceAddress: p.sourceAddress,
            destinationAddress: p.destinationAddress,
            ttl: 255,
          },
        });
      }
    },
    listen(onPacket) {
      listeners[self] = onPacket;
    },
  });
  return [end(0), end(1)];
}

/** An address port and every engine event written into one log, in the order they happened. */
function journal(engine: Engine, log: string[]): void {
  engine.on('stateChange', (e) => log.push(`event stateChange ${e.from}->${e.to}`));
  engine.on('notice', (e) => log.push(`event notice ${e.notice}`));
  engine.on('vipsAdded', () => log.push('event vipsAdded'));
  engine.on('vipsAnnounced', () => log.push('event vipsAnnounced'));
}

function recordingAddresses(log: string[]): AddressPort {
  return {
    addVips: (_iface, addresses) => void log.push(`port add ${addresses.join(',')}`),
    removeVips: (_iface, addresses) => void log.push(`port remove ${addresses.join(',')}`),
    announceVips: (_iface, addresses) => void log.push(`port announce ${addresses.join(',')}`),
  };
}

const config = (name: string, primaryAddress: string, priority: number) =>
  buildRouterConfig({ name, interface: 'eth0', vrid: 42, priority, primaryAddress, virtualAddresses: ['192.0.2.200'] });

t.test(
  'a new Master adds its VIPs before it announces them, and changes state before its Master notices',
  async (t) => {
    const [wireA, wireB] = synchronousWire();
    const clockA = new ManualClock();
    const clockB = new ManualClock();
    const advance = (toMs: number) => {
      // Both clocks show the same time; each engine's timer fires on its own clock.
      clockA.nowMsValue = clockB.nowMsValue = Math.max(clockA.nowMsValue, clockB.nowMsValue);
      for (let ms = clockA.nowMsValue; ms <= toMs; ms += 10) {
        clockB.advanceTo(ms);
        clockA.advanceTo(ms);
      }
    };
    const logA: string[] = [];
    // B (priority 100) answers a higher-priority advert with one of its own as it steps down
    // (higherPrioritySendAdvert, on by default as in keepalived): the reply reaches A inside A's takeover.
    const b = new Engine([config('B', '192.0.2.2', 100)], {
      time: clockB,
      packets: wireB,
      addresses: recordingAddresses([]),
    });
    const a = new Engine([config('A', '192.0.2.1', 200)], {
      time: clockA,
      packets: wireA,
      addresses: recordingAddresses(logA),
    });
    journal(a, logA);
    t.teardown(async () => {
      await a.stop();
      await b.stop();
    });
    b.start();
    advance(4000); // B alone: Master after its Master_Down_Interval
    t.equal(b.snapshot()[0]!.state, 'Master');
    a.start();
    advance(8000); // A discards B's lower adverts and takes over when its down timer runs out
    t.equal(a.snapshot()[0]!.state, 'Master');
    t.equal(b.snapshot()[0]!.state, 'Backup');

    const takeover = logA.slice(logA.indexOf('event stateChange Initialize->Backup') + 1);
    t.same(
      takeover.slice(0, 5),
      [
        'port add 192.0.2.200',
        'event vipsAdded',
        'port announce 192.0.2.200',
        'event vipsAnnounced',
        'event stateChange Backup->Master',
      ],
      'add, announce, then the state change: nothing of the reply comes between',
    );
    const firstAnnounce = logA.indexOf('port announce 192.0.2.200');
    t.ok(logA.indexOf('port add 192.0.2.200') < firstAnnounce, 'the VIP is added before it is announced');
    const notice = logA.indexOf('event notice lower-priority-master');
    t.ok(
      notice > logA.indexOf('event stateChange Backup->Master'),
      'the Master-only notice comes after the change to Master',
    );
  },
);

// SourceAddressTracker with track_src_ip (issue 13): a configured source address that leaves the
// interface puts its router in Fault until it is back, and a re-read of the interfaces that was under
// way when an address event came cannot undo that event. A real Engine on the test ports; the
// kernel's address list is handed over by the test, when it chooses.
import t from 'tap';
import type { VirtualRouterConfig } from '../../src/core/types.js';
import { SourceAddressTracker } from '../../src/daemon/source-address.js';
import { Engine } from '../../src/engine/engine.js';
import type { AddressEvent } from '../../src/linux/links.js';
import type { InterfaceAddress, RtNetlinkClient } from '../../src/linux/netlink.js';
import { buildRouterConfig } from '../../src/model/router-config.js';
import type { RuntimeLogger } from '../../src/model/logger.js';
import { fakePorts } from '../engine/fake-ports.js';

const CONFIG: VirtualRouterConfig = buildRouterConfig({
  name: 'VI_1',
  interface: 'eth0',
  vrid: 51,
  primaryAddress: '192.0.2.1',
  virtualAddresses: ['192.0.2.100'],
  trackSourceAddress: true,
});

function address(text: string): InterfaceAddress {
  return { ifindex: 2, family: 4, address: text, prefixLength: 24, label: undefined, scope: 0, flags: [] };
}
const event = (text: string): AddressEvent => ({ interface: 'eth0', address: address(text) });

/** The part of the netlink client the tracker reads; `listAddresses` answers when the test says. */
class HeldAddressList {
  private pending: ((list: InterfaceAddress[]) => void)[] = [];
  async getLink(): Promise<{ ifindex: number }> {
    return { ifindex: 2 };
  }
  listAddresses(): Promise<InterfaceAddress[]> {
    return new Promise((resolve) => this.pending.push(resolve));
  }
  answer(list: InterfaceAddress[]): void {
    for (const resolve of this.pending.splice(0)) resolve(list);
  }
}

const ignore = () => {};
const quiet: RuntimeLogger = { trace: ignore, debug: ignore, info: ignore, warn: ignore, error: ignore };

function setup() {
  const { ports, clock } = fakePorts();
  const engine = new Engine([CONFIG], ports);
  const tracker = new SourceAddressTracker(engine, [CONFIG], quiet);
  engine.start();
  const state = () => engine.snapshot()[0]!.state;
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { engine, tracker, clock, state, settle };
}

t.test('the configured source leaves: Fault until it is back', async (t) => {
  const { tracker, state, settle, engine } = setup();
  t.teardown(() => engine.stop());
  t.equal(state(), 'Backup');
  tracker.addressRemoved(event('192.0.2.9'));
  await settle();
  t.equal(state(), 'Backup', 'another address: nothing');
  tracker.addressRemoved(event('192.0.2.1'));
  await settle();
  t.equal(state(), 'Fault');
  tracker.addressAdded(event('192.0.2.1'));
  await settle();
  t.equal(state(), 'Backup');
});

t.test('an event during a re-read wins over what the re-read found', async (t) => {
  const { tracker, state, settle, engine } = setup();
  t.teardown(() => engine.stop());
  const client = new HeldAddressList();
  const recheck = tracker.recheck(client as unknown as RtNetlinkClient);
  await settle();
  // The read saw the address; it is removed before the read is reported.
  tracker.addressRemoved(event('192.0.2.1'));
  client.answer([address('192.0.2.1')]);
  await recheck;
  await settle();
  t.equal(state(), 'Fault', 'the removal stands');

  const again = tracker.recheck(client as unknown as RtNetlinkClient);
  await settle();
  client.answer([]);
  await again;
  await settle();
  t.equal(state(), 'Fault', 'a later read agrees');
  const back = tracker.recheck(client as unknown as RtNetlinkClient);
  await settle();
  client.answer([address('192.0.2.1')]);
  await back;
  await settle();
  t.equal(state(), 'Backup', 'a read with no event since it began is believed');
});

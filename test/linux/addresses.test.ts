// The Linux AddressPort: configuration checks anywhere; VIPs on a real veth in a network namespace
// (root), witnessed by `ip -json addr show`.

import t from 'tap';
import { ConfigError } from '../../src/model/config-error.js';
import { canonicalAddress, LinuxAddressPort, validateVipLabel, type VipSpec } from '../../src/linux/addresses.js';
import type { InterfaceAddress } from '../../src/linux/netlink.js';
import { namespaceSkipReason, NamespaceChild, TestNamespace, type ChildError } from './netns-harness.js';

const noAnnounce = (): void => undefined;

t.test('labels: <dev> or <dev>:<suffix>, at most 15 characters', async (t) => {
  t.doesNotThrow(() => validateVipLabel('eth0', 'eth0'));
  t.doesNotThrow(() => validateVipLabel('eth0', 'eth0:vip1'));
  t.throws(() => validateVipLabel('eth0', 'eth1:vip'), ConfigError, 'another device');
  t.throws(() => validateVipLabel('eth0', 'eth0:'), ConfigError, 'empty suffix');
  t.throws(() => validateVipLabel('eth0', 'eth0vip'), ConfigError, 'no colon');
  t.throws(() => validateVipLabel('eth0', 'eth0:0123456789a'), ConfigError, '16 characters');
  t.doesNotThrow(() => validateVipLabel('eth0', 'eth0:0123456789'), '15 characters');
});

t.test('VIP settings are checked when the port is built, before anything touches the network', async (t) => {
  const build = (vips: VipSpec[]) => () => new LinuxAddressPort({ announce: noAnnounce, vips }).close();
  /** The ConfigError's field, or 'no error'. */
  const failingField = (vips: VipSpec[]): string => {
    try {
      build(vips)();
      return 'no error';
    } catch (error) {
      return error instanceof ConfigError ? error.field : `not a ConfigError: ${String(error)}`;
    }
  };
  t.doesNotThrow(build([{ interface: 'eth0', address: '192.0.2.1', prefixLength: 24, label: 'eth0:a' }]));
  t.doesNotThrow(build([{ interface: 'eth0', address: '2001:DB8::1', prefixLength: 64 }]));
  t.equal(failingField([{ interface: 'eth0', address: '192.0.2.1', prefixLength: 33 }]), 'vips[0].prefixLength');
  t.throws(build([{ interface: 'eth0', address: '2001:db8::1', prefixLength: 129 }]), ConfigError);
  t.throws(build([{ interface: 'eth0', address: '192.0.2.1', prefixLength: 24.5 }]), ConfigError);
  t.equal(failingField([{ interface: 'eth0', address: '192.0.2.300' }]), 'vips[0].address');
  t.equal(failingField([{ interface: 'eth0', address: '192.0.2.1', label: 'eth1:a' }]), 'vips[0].label');
  t.equal(failingField([{ interface: 'a-name-too-long0', address: '192.0.2.1' }]), 'vips[0].interface');
  t.equal(
    failingField([{ interface: 'eth0', address: '2001:db8::1', preferredLifetime: 5 as unknown as 0 }]),
    'vips[0].preferredLifetime',
  );
  t.equal(
    failingField([
      { interface: 'eth0', address: '192.0.2.1' },
      { interface: 'eth0', address: '192.0.2.2', prefixLength: -1 },
    ]),
    'vips[1].prefixLength',
    'the field names which entry is wrong',
  );
  t.equal(
    failingField([
      { interface: 'eth0', address: '2001:db8::1' },
      { interface: 'eth0', address: '2001:DB8:0::1', prefixLength: 64 },
    ]),
    'vips[1]',
    'the same VIP twice on one interface (compared in canonical form)',
  );
});

t.test('canonicalAddress gives one text per address', async (t) => {
  t.same(canonicalAddress('2001:DB8:0:0::1'), { family: 6, address: '2001:db8::1' });
  t.same(canonicalAddress('192.0.2.1'), { family: 4, address: '192.0.2.1' });
  t.equal(canonicalAddress('192.0.2.1/32'), undefined);
  t.equal(canonicalAddress('eth0'), undefined);
});

t.test('announceVips hands the addresses and count to the supplied function', async (t) => {
  const calls: unknown[] = [];
  const port = new LinuxAddressPort({ announce: (...args) => void calls.push(args) });
  t.teardown(() => port.close());
  await port.announceVips('eth0', ['192.0.2.1', '2001:db8::1'], 5);
  t.same(calls, [['eth0', ['192.0.2.1', '2001:db8::1'], 5]]);
  const failing = new LinuxAddressPort({
    announce: async () => {
      throw Object.assign(new Error('no such device'), { code: 'ENODEV' });
    },
  });
  t.teardown(() => failing.close());
  await t.rejects(failing.announceVips('eth0', ['192.0.2.1'], 1), { code: 'ENODEV' }, 'a failure is a rejection');
});

const skip = namespaceSkipReason();

t.test('in a network namespace', { skip: skip ?? false }, async (t) => {
  const ns = new TestNamespace('a');
  t.teardown(() => ns.remove());
  const child = new NamespaceChild(ns.name);
  t.teardown(() => child.stop());
  ns.ip('addr', 'add', '192.0.2.1/24', 'dev', ns.a);

  const vips: VipSpec[] = [
    { interface: ns.a, address: '192.0.2.10', prefixLength: 24, label: `${ns.a}:web` },
    { interface: ns.a, address: '2001:db8::a:1', prefixLength: 64 },
  ];
  t.equal(await child.call('init', vips), 'ready');

  await t.test('addVips: default /32 and /128, configured prefix and label, IPv6 with nodad', async (t) => {
    await child.call('addVips', ns.a, ['192.0.2.10', '192.0.2.11', '2001:db8::a:1', '2001:DB8::a:2']);
    const configured = ns.find(ns.a, '192.0.2.10');
    t.equal(configured?.prefixlen, 24);
    t.equal(configured?.label, `${ns.a}:web`);
    const plain = ns.find(ns.a, '192.0.2.11');
    t.equal(plain?.prefixlen, 32);
    t.equal(plain?.label, ns.a, 'no label configured: the kernel uses the device name');
    const v6Net = ns.find(ns.a, '2001:db8::a:1');
    t.equal(v6Net?.prefixlen, 64);
    t.equal(v6Net?.nodad, true);
    t.notOk(v6Net?.deprecated, 'a /64 VIP keeps preferred_lft forever (keepalived)');
    const v6 = ns.find(ns.a, '2001:db8::a:2');
    t.equal(v6?.prefixlen, 128);
    t.equal(v6?.nodad, true, 'IFA_F_NODAD set');
    t.notOk(v6?.tentative, 'usable at once: not tentative');
    t.equal(v6?.deprecated, true, 'a /128 VIP is deprecated, never a source address (keepalived)');
    t.equal(v6?.preferred_life_time, 0);
  });

  await t.test('warmUpAdd runs the add path against interface index 0 and changes no address anywhere', async (t) => {
    // Which addresses exist, not their DAD flags: the kernel clears a link-local's `tentative` on its
    // own clock, and under load that can land between the two reads.
    const identities = (dev: string) =>
      ns
        .addresses(dev)
        .map((a) => `${a.local}/${a.prefixlen} ${a.label ?? ''}`)
        .sort();
    const everywhere = () => JSON.stringify([identities(ns.a), identities(ns.b), identities('lo')]);
    const before = everywhere();
    t.equal(await child.call('warmUpAdd', ns.a, ['192.0.2.10', '2001:db8::a:1', '192.0.2.99']), null);
    t.equal(everywhere(), before);
  });

  await t.test('the add request is written before addVips returns (no RTM_GETLINK round trip first)', async (t) => {
    // The kernel applies an rtnetlink request inside the sendmsg that carries it: once written, the
    // address is there. (rtnetlink-requests.ts writes each request synchronously, up to 32 in flight.)
    for (const address of ['198.51.100.21', '2001:db8::a:21']) {
      const present = await child.call('addVipsPresentAtReturn', ns.a, [address]);
      t.same(present, [address], `${address} is on the interface before the promise settled`);
    }
    await child.call('removeVips', ns.a, ['198.51.100.21', '2001:db8::a:21']);
  });

  await t.test('preferredLifetime overrides the default either way', async (t) => {
    await child.call('init', [
      ...vips,
      { interface: ns.b, address: '2001:db8::b:1', preferredLifetime: 'forever' },
      { interface: ns.b, address: '2001:db8::b:2', prefixLength: 64, preferredLifetime: 0 },
    ]);
    await child.call('addVips', ns.b, ['2001:db8::b:1', '2001:db8::b:2']);
    t.notOk(ns.find(ns.b, '2001:db8::b:1')?.deprecated);
    t.equal(ns.find(ns.b, '2001:db8::b:2')?.deprecated, true);
    await child.call('removeVips', ns.b, ['2001:db8::b:1', '2001:db8::b:2']);
    t.equal(ns.find(ns.b, '2001:db8::b:1'), undefined);
    t.equal(ns.find(ns.b, '2001:db8::b:2'), undefined);
    await child.call('init', vips);
  });

  await t.test('addVips again is not an error and adds nothing twice', async (t) => {
    const before = ns.addresses(ns.a).length;
    await child.call('addVips', ns.a, ['192.0.2.10', '192.0.2.11', '2001:db8::a:1', '2001:db8::a:2']);
    t.equal(ns.addresses(ns.a).length, before);
  });

  await t.test('listAddresses reports family, address, prefix, label and flags', async (t) => {
    const listed = await child.call<InterfaceAddress[]>('listAddresses', ns.a);
    const vip = listed.find((a) => a.address === '192.0.2.10');
    t.match(vip, { family: 4, prefixLength: 24, label: `${ns.a}:web` });
    t.ok(vip?.flags.includes('secondary'), 'a VIP in the subnet of the primary address is secondary');
    t.match(
      listed.find((a) => a.address === '2001:db8::a:2'),
      { family: 6, prefixLength: 128, label: undefined },
    );
  });

  await t.test('removeVips removes them; removing again is not an error', async (t) => {
    await child.call('removeVips', ns.a, ['192.0.2.10', '192.0.2.11', '2001:db8::a:1', '2001:db8::a:2']);
    for (const address of ['192.0.2.10', '192.0.2.11', '2001:db8::a:1', '2001:db8::a:2']) {
      t.equal(ns.find(ns.a, address), undefined, `${address} gone`);
    }
    t.ok(ns.find(ns.a, '192.0.2.1'), 'the interface address stays (removing a secondary does not drop it)');
    t.equal(await child.call('removeVips', ns.a, ['192.0.2.10', '2001:db8::a:2']), null);
  });

  await t.test('removeVips leaves an address of the same IP but another prefix alone', async (t) => {
    ns.ip('addr', 'add', '198.51.100.5/24', 'dev', ns.a);
    await child.call('removeVips', ns.a, ['198.51.100.5']);
    t.equal(ns.find(ns.a, '198.51.100.5')?.prefixlen, 24, 'not our /32 VIP: kept');
    ns.ip('addr', 'del', '198.51.100.5/24', 'dev', ns.a);
  });

  await t.test(
    'errors: no such interface on add (ENODEV), a bad address, success removing from a gone one',
    async (t) => {
      const missing = await child.call('addVips', 'nosuchdev0', ['192.0.2.10']).catch((e: ChildError) => e);
      t.equal((missing as ChildError).code, 'ENODEV');
      t.equal(await child.call('removeVips', 'nosuchdev0', ['192.0.2.10']), null);
      const bad = await child.call('addVips', ns.a, ['192.0.2.12', 'not-an-ip']).catch((e: ChildError) => e);
      t.match(bad, { name: 'VipOperationError', code: 'EINVAL', failures: [{ address: 'not-an-ip', code: 'EINVAL' }] });
      t.ok(ns.find(ns.a, '192.0.2.12'), 'the good address of the same call was still added');
      await child.call('removeVips', ns.a, ['192.0.2.12']);
    },
  );

  await t.test('250 VIPs in one call: all added, all removed (requests in flight stay bounded)', async (t) => {
    const many = Array.from({ length: 250 }, (_, i) => `203.0.113.${i + 1}`);
    await child.call('addVips', ns.b, many);
    const onB = new Set(ns.addresses(ns.b).map((a) => a.local));
    t.equal(many.filter((a) => onB.has(a)).length, 250);
    await child.call('removeVips', ns.b, many);
    t.equal(ns.addresses(ns.b).filter((a) => a.family === 'inet').length, 0);
  });

  await t.test('removeLeftoverVips removes configured VIPs left by a killed run, and only those', async (t) => {
    // What a run killed with SIGKILL leaves behind, added by another process.
    ns.ip('addr', 'add', '192.0.2.10/24', 'dev', ns.a, 'label', `${ns.a}:web`);
    ns.ip('addr', 'add', '2001:db8::a:2/128', 'dev', ns.a, 'nodad');
    ns.ip('addr', 'add', '203.0.113.20/32', 'dev', ns.a);
    const removed = await child.call<string[]>('removeLeftoverVips', ns.a, [
      '192.0.2.10',
      '2001:db8::a:2',
      '192.0.2.11',
    ]);
    t.same(removed.sort(), ['192.0.2.10', '2001:db8::a:2']);
    t.equal(ns.find(ns.a, '192.0.2.10'), undefined);
    t.equal(ns.find(ns.a, '2001:db8::a:2'), undefined);
    t.ok(ns.find(ns.a, '203.0.113.20'), 'an address that is not a configured VIP stays');
    t.ok(ns.find(ns.a, '192.0.2.1'), 'the interface address stays');
    t.same(await child.call('removeLeftoverVips', ns.a, ['192.0.2.10']), [], 'nothing left: nothing removed');
  });
});

// The `routerAdverts` key of a router: off unless asked, IPv6 with a link-local VIP only, RFC 4861's
// bounds, and every mistake a ConfigError naming the field (src/model/router-adverts.ts), through the
// same checkInput the runtime and `-t` run.
import t from 'tap';
import { checkInput } from '../../src/daemon/check-input.js';
import type { LinuxRouterInput } from '../../src/model/runtime-input.js';

const V6: LinuxRouterInput = {
  name: 'v6',
  interface: 'eth0',
  vrid: 51,
  family: 6,
  version: 3,
  primaryAddress: 'fe80::1',
  virtualAddresses: ['fe80::51', '2001:db8::51'],
};

function plan(router: Partial<LinuxRouterInput>) {
  return checkInput({ routers: [{ ...V6, ...router }] }).routers[0]!.routerAdverts;
}

t.test('routerAdverts: off by default; true takes the defaults; the source is the first link-local VIP', async (t) => {
  t.equal(plan({}), undefined, 'left out: off, as keepalived');
  t.equal(plan({ routerAdverts: false }), undefined);
  t.same(plan({ routerAdverts: true, virtualAddresses: ['2001:db8::51', 'fe80::51'] }), {
    interface: 'eth0',
    source: 'fe80::51',
    settings: { minIntervalMs: 5280, maxIntervalMs: 16_000, routerLifetimeS: 48, curHopLimit: 64, prefixes: [] },
  });
  t.equal(plan({ routerAdverts: true, useVmac: true })?.interface, 'vrrp.51', 'with useVmac: sent on the VMAC');
  const full = plan({
    routerAdverts: {
      maxIntervalS: 30,
      minIntervalS: 10,
      routerLifetimeS: 1800,
      mtu: 1500,
      prefixes: [{ prefix: '2001:db8:1::7/64', autonomous: false }],
    },
  });
  t.same(full?.settings.prefixes[0], {
    prefix: Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    length: 64,
    onLink: true,
    autonomous: false,
    validLifetimeS: 2_592_000,
    preferredLifetimeS: 604_800,
  });
  t.equal(full?.settings.mtu, 1500);
});

t.test('routerAdverts: mistakes name the field', async (t) => {
  const bad: [Partial<LinuxRouterInput>, RegExp][] = [
    [{ routerAdverts: 'yes' as never }, /^routers\[0\]\.routerAdverts: must be true, false or an object/],
    [
      { routerAdverts: { maxInterval: 10 } as never },
      /routerAdverts\.maxInterval: unknown field \(did you mean "maxIntervalS"\?\)/,
    ],
    [{ routerAdverts: { maxIntervalS: 2 } }, /routerAdverts\.maxIntervalS: must be a number from 4 to 1800/],
    [
      { routerAdverts: { maxIntervalS: 8, minIntervalS: 7 } },
      /routerAdverts\.minIntervalS: must be a number from 3 to 6/,
    ],
    [
      { routerAdverts: { routerLifetimeS: 10 } },
      /routerAdverts\.routerLifetimeS: must be a whole number from 16 to 9000/,
    ],
    [
      { routerAdverts: { prefixes: [{ prefix: 'fe80::/64' }] } },
      /prefixes\[0\]\.prefix: must be an IPv6 unicast prefix/,
    ],
    [{ routerAdverts: { prefixes: [{ prefix: '2001:db8::' }] } }, /prefixes\[0\]\.prefix: is not an IPv6 prefix/],
    [
      { routerAdverts: { prefixes: [{ prefix: '2001:db8::/64', validLifetimeS: 10, preferredLifetimeS: 20 }] } },
      /prefixes\[0\]\.preferredLifetimeS: must be a whole number from 0 to 10/,
    ],
    [{ routerAdverts: true, virtualAddresses: ['2001:db8::51'] }, /routerAdverts: needs a link-local virtual address/],
    [
      { routerAdverts: true, family: 4, primaryAddress: '192.0.2.1', virtualAddresses: ['192.0.2.51'] },
      /routerAdverts: Router Advertisements are for IPv6 routers only/,
    ],
  ];
  for (const [router, message] of bad)
    t.throws(() => plan(router), { name: 'ConfigError', message }, JSON.stringify(router.routerAdverts));
});

t.test('routerAdverts: a misspelt key beside the routers is named', async (t) => {
  t.throws(() => checkInput({ routers: [{ ...V6, routerAdvert: true } as never] }), {
    name: 'ConfigError',
    message: /routers\[0\]\.routerAdvert: unknown field \(did you mean "routerAdverts"\?\)/,
  });
});

// How a polled link is read (LinkbeatReader, keepalived's init_linkbeat_status and
// if_linkbeat_refresh_thread): the method settled on the first read (configured, else MII, ETHTOOL,
// IOCTL, the first the driver answers), a fallback reported, MII / ETHTOOL down is down, otherwise the
// flags decide; a missing interface is down and settled once it exists. Then the addon's real probes
// on the loopback interface.
import t from 'tap';
import { LinkbeatReader, nativeLinkbeatProbe } from '../../src/linux/linkbeat.js';
import type { LinkbeatType } from '../../src/model/link-polling.js';

type Kind = 'mii' | 'ethtool' | 'flags';

/** A driver's answers per probe (-1: not answered); every probe asked is recorded. */
function driver(answers: Partial<Record<Kind, number>>) {
  const asked: Kind[] = [];
  const now: Record<Kind, number> = { mii: -1, ethtool: -1, flags: -1, ...answers };
  const probe = (_iface: string, kind: Kind) => {
    asked.push(kind);
    return now[kind];
  };
  return { asked, now, probe };
}

function reader(type: LinkbeatType, d: ReturnType<typeof driver>) {
  const fallbacks: string[] = [];
  const r = new LinkbeatReader({ eth0: type }, d.probe, (iface, configured, used) =>
    fallbacks.push(`${iface} ${configured}->${used}`),
  );
  return { r, fallbacks };
}

t.test('auto: MII first; MII down is down whatever the flags say', async (t) => {
  const d = driver({ mii: 1, ethtool: 1, flags: 1 });
  const { r } = reader('auto', d);
  t.equal(r.read('eth0'), true);
  t.equal(r.method('eth0'), 'mii');
  d.now.mii = 0;
  d.asked.length = 0;
  t.equal(r.read('eth0'), false);
  t.same(d.asked, ['mii'], 'settled: only MII asked (down: no flags needed)');
  d.now.mii = 1;
  d.now.flags = 0;
  t.equal(r.read('eth0'), false, 'MII up but not IFF_RUNNING: down');
});

t.test('auto: no MII, ETHTOOL; neither: IOCTL, the flags alone', async (t) => {
  const e = driver({ ethtool: 0, flags: 1 });
  const a = reader('auto', e);
  t.equal(a.r.read('eth0'), false, 'GLINK says no link');
  t.equal(a.r.method('eth0'), 'ethtool');
  const f = driver({ flags: 1 });
  const b = reader('auto', f);
  t.equal(b.r.read('eth0'), true);
  t.equal(b.r.method('eth0'), 'ioctl');
  f.now.flags = 0;
  f.asked.length = 0;
  t.equal(b.r.read('eth0'), false);
  t.same(f.asked, ['flags']);
  t.same([...a.fallbacks, ...b.fallbacks], [], 'auto reports no fallback');
});

t.test('a configured type the driver does not answer falls back, reported', async (t) => {
  const m = reader('ethtool', driver({ mii: 1, flags: 1 }));
  t.equal(m.r.read('eth0'), true);
  t.equal(m.r.method('eth0'), 'mii', 'ETHTOOL not answered: MII, as keepalived');
  t.same(m.fallbacks, ['eth0 ethtool->mii']);
  const e = reader('mii', driver({ ethtool: 1, flags: 1 }));
  e.r.read('eth0');
  t.same(e.fallbacks, ['eth0 mii->ethtool']);
  const i = reader('ethtool', driver({ flags: 1 }));
  i.r.read('eth0');
  t.same(i.fallbacks, ['eth0 ethtool->ioctl']);
  const d = driver({ mii: 1, ethtool: 1, flags: 1 });
  const io = reader('ioctl', d);
  io.r.read('eth0');
  t.same(d.asked, ['flags'], 'IOCTL asks the flags only');
  t.same(io.fallbacks, []);
});

t.test('no such interface: down, settled once it exists; a probe failing later leaves it to the flags', async (t) => {
  const d = driver({ ethtool: 1 });
  const { r } = reader('auto', d);
  t.equal(r.read('eth0'), false);
  t.equal(r.method('eth0'), undefined);
  d.now.flags = 1;
  t.equal(r.read('eth0'), true);
  t.equal(r.method('eth0'), 'ethtool');
  d.now.ethtool = -1;
  t.equal(r.read('eth0'), true, 'GLINK failing: the flags decide');
  d.now.flags = -1;
  t.equal(r.read('eth0'), false, 'gone: down');
});

t.test('a reload that changes the type settles the method again', async (t) => {
  const d = driver({ mii: 1, ethtool: 1, flags: 1 });
  const { r } = reader('auto', d);
  r.read('eth0');
  t.equal(r.method('eth0'), 'mii');
  r.configure({ eth0: 'auto' });
  t.equal(r.method('eth0'), 'mii', 'same type: kept');
  r.configure({ eth0: 'ethtool' });
  r.read('eth0');
  t.equal(r.method('eth0'), 'ethtool');
});

t.test('the addon: lo answers ETHTOOL GLINK and its flags, not MII; a missing interface is -1', async (t) => {
  t.equal(nativeLinkbeatProbe('lo', 'mii'), -1, 'no PHY');
  t.equal(nativeLinkbeatProbe('lo', 'ethtool'), 1);
  t.equal(nativeLinkbeatProbe('lo', 'flags'), 1, 'lo is up and running');
  t.equal(nativeLinkbeatProbe('nosuchlink0', 'flags'), -1, 'ENODEV');
  t.equal(new LinkbeatReader({ lo: 'auto' }).read('lo'), true);
  t.throws(() => nativeLinkbeatProbe('x'.repeat(16), 'flags'), /not a valid Linux interface name/);
});

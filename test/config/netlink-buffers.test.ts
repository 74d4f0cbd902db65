// vrrp_netlink_cmd_rcv_bufs[_force] and vrrp_netlink_monitor_rcv_bufs[_force] read as keepalived 2.2.7
// reads them (core/global_parser.c), mapped to the JSON `netlinkBuffers`, and that setting checked.
import t from 'tap';
import { globalsErrors, readGlobals } from './global-defs.js';
import { checkJsonConfig } from '../../src/cli/json-config.js';
import { applyNetlinkBuffers } from '../../src/daemon/netlink-buffers.js';

const load = (globals: string) => readGlobals(globals).input.netlinkBuffers;
const errors = globalsErrors;

t.test('no keyword: no setting, so vrrp-engine keeps its own sizes', async (t) => {
  t.equal(load(''), undefined);
});

t.test('a size alone: SO_RCVBUF (no force), as keepalived', async (t) => {
  t.same(load('vrrp_netlink_cmd_rcv_bufs 1048576'), { command: { bytes: 1048576, force: false } });
  t.same(load('vrrp_netlink_monitor_rcv_bufs 300000'), { monitor: { bytes: 300000, force: false } });
});

t.test('_force: true without a word, or as on/off, true/false, yes/no', async (t) => {
  t.same(load('vrrp_netlink_cmd_rcv_bufs 2000000\nvrrp_netlink_cmd_rcv_bufs_force'), {
    command: { bytes: 2000000, force: true },
  });
  t.same(
    load('vrrp_netlink_monitor_rcv_bufs_force yes\nvrrp_netlink_monitor_rcv_bufs 500000'),
    {
      monitor: { bytes: 500000, force: true },
    },
    'order does not matter',
  );
  t.same(load('vrrp_netlink_cmd_rcv_bufs 500000\nvrrp_netlink_cmd_rcv_bufs_force off'), {
    command: { bytes: 500000, force: false },
  });
  t.match(errors('vrrp_netlink_cmd_rcv_bufs_force maybe'), [/takes on\/off, true\/false or yes\/no/]);
});

t.test("_force alone: keepalived's default size (64 KiB), forced", async (t) => {
  t.same(load('vrrp_netlink_monitor_rcv_bufs_force'), { monitor: { bytes: 65536, force: true } });
});

t.test('0 keeps the earlier value; the last size wins; the two sockets are apart', async (t) => {
  t.same(load('vrrp_netlink_cmd_rcv_bufs 400000\nvrrp_netlink_cmd_rcv_bufs 0'), {
    command: { bytes: 400000, force: false },
  });
  t.same(load('vrrp_netlink_cmd_rcv_bufs 0'), { command: { bytes: 65536, force: false } });
  t.same(load('vrrp_netlink_cmd_rcv_bufs 1\nvrrp_netlink_cmd_rcv_bufs 2\nvrrp_netlink_monitor_rcv_bufs 3'), {
    command: { bytes: 2, force: false },
    monitor: { bytes: 3, force: false },
  });
});

t.test('sizes: up to UINT_MAX accepted (asked as at most 1 GiB); others refused', async (t) => {
  t.same(load('vrrp_netlink_cmd_rcv_bufs 4294967295'), { command: { bytes: 2 ** 30, force: false } });
  t.match(errors('vrrp_netlink_cmd_rcv_bufs 4294967296'), [/a size in bytes from 0 to 4294967295/]);
  t.match(errors('vrrp_netlink_cmd_rcv_bufs -1'), [/a size in bytes/]);
  t.match(errors('vrrp_netlink_cmd_rcv_bufs big'), [/a size in bytes/]);
  t.match(errors('vrrp_netlink_monitor_rcv_bufs'), [/size missing/]);
});

const routers = [{ name: 'A', interface: 'eth0', vrid: 1, priority: 100, virtualAddresses: ['192.0.2.100'] }];

t.test('JSON netlinkBuffers is checked', async (t) => {
  const netlinkBuffers = { command: { bytes: 100000, force: true }, monitor: { bytes: 200000, force: false } };
  t.same(checkJsonConfig({ routers, netlinkBuffers }).engine.netlinkBuffers, netlinkBuffers);
  t.throws(() => checkJsonConfig({ routers, netlinkBuffers: { cmd: {} } }), /netlinkBuffers.cmd/);
  t.throws(
    () => checkJsonConfig({ routers, netlinkBuffers: { monitor: { bytes: 0, force: true } } }),
    /netlinkBuffers.monitor.bytes: must be a whole number from 1 to 1073741824/,
  );
  t.throws(
    () => checkJsonConfig({ routers, netlinkBuffers: { monitor: { bytes: 10 } } }),
    /netlinkBuffers.monitor.force: must be true or false/,
  );
  t.throws(() => checkJsonConfig({ routers, netlinkBuffers: 5 }), /netlinkBuffers: must be an object/);
});

t.test('applyNetlinkBuffers gives the link watcher the monitor size and checks first', async (t) => {
  t.same(applyNetlinkBuffers({ netlinkBuffers: { monitor: { bytes: 300000, force: false } } }), {
    recvBufferSize: 300000,
    recvBufferForce: false,
  });
  t.same(applyNetlinkBuffers({}), {}, 'absent: the watcher keeps its own default');
  t.throws(() => applyNetlinkBuffers({ netlinkBuffers: { command: { bytes: -5, force: true } } }), /bytes/);
});

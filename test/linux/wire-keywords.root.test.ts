// The Linux packet port for mcast_dst_ip and unicast_ttl (issue 13): a router's own multicast group
// is joined (and left when a reload takes it away), and a packet's own TTL goes on the wire. A veth
// pair in a namespace of its own; the receiving port reports each packet's destination and TTL.

import t from 'tap';
import { namespaceSkipReason, TestNamespace, vethSocketsModule } from './netns-harness.js';

const childScript = `${vethSocketsModule(54, ["import { LinuxPacketPort } from './linux/packet-port.js';", "import { buildRouterConfig } from './model/router-config.js';"])}
const base = { name: 'VI_54', interface: 'vb', vrid: 54, version: 3, primaryAddress: '192.0.2.2', virtualAddresses: ['192.0.2.100'] };
const port = new LinuxPacketPort([buildRouterConfig({ ...base, multicastGroup: '224.0.0.19' })]);
port.open();
const heard = [];
port.listen((packet) => heard.push(packet.meta.destinationAddress + ' ttl ' + packet.meta.ttl));
const to = (destinationAddress, ttl) => ({ ...advert(100), destinationAddress,
  payload: encodeAdvert({ version: 3, vrid: 54, priority: 100, advertIntervalCs: 100, addresses: ['192.0.2.100'], authType: 0 },
    { family: 4, sourceAddress: '192.0.2.1', destinationAddress }), ...(ttl === undefined ? {} : { ttl }) });
sender.send([to('224.0.0.19'), to('192.0.2.2', 9)]);
await sleep(300);
const joined = [...heard];
heard.length = 0;
// A reload gives the router the standard group: 224.0.0.19 is left.
port.setRouters([buildRouterConfig(base)]);
sender.send([to('224.0.0.19'), to('224.0.0.18')]);
await sleep(300);
console.log(JSON.stringify({ joined, afterReload: [...heard] }));
process.exit(0);
`;

const skip = namespaceSkipReason();
t.test(
  "packet port: a router's own group is joined and left; a packet's own TTL is sent",
  { skip: skip ?? false },
  async (t) => {
    const ns = new TestNamespace('wkw');
    t.teardown(() => ns.remove());
    ns.addressPair();
    const run = ns.runModule(childScript);
    t.equal(run.status, 0, run.stderr);
    const out = run.result as { joined: string[]; afterReload: string[] };
    t.same(out.joined.sort(), ['192.0.2.2 ttl 9', '224.0.0.19 ttl 255'], 'the group heard, the unicast TTL as sent');
    t.same(out.afterReload, ['224.0.0.18 ttl 255'], 'after the reload: the standard group only');
  },
);

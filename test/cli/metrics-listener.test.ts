// --metrics / VRRP_METRICS_LISTEN as bin/vrrpd and bin/vrrp-engine read them: the listen address
// forms, the default port (keepalived-exporter's 2112), the flag winning over the variable, and
// clear messages for the rest.

import t from 'tap';
import { parseCommand } from '../../src/cli/flags.js';
import { metricsListenFrom, parseListenAddress } from '../../src/cli/metrics-listener.js';

t.test('listen address forms', async (t) => {
  t.same(parseListenAddress(''), { address: '0.0.0.0', port: 2112 }, 'empty: every address, 2112');
  t.same(parseListenAddress('9100'), { address: '0.0.0.0', port: 9100 });
  t.same(parseListenAddress(':9100'), { address: '0.0.0.0', port: 9100 });
  t.same(parseListenAddress('127.0.0.1'), { address: '127.0.0.1', port: 2112 });
  t.same(parseListenAddress('127.0.0.1:9100'), { address: '127.0.0.1', port: 9100 });
  t.same(parseListenAddress('[::1]:9100'), { address: '::1', port: 9100 });
  t.match(parseListenAddress('127.0.0.1:70000'), /port out of range/);
  t.match(parseListenAddress('::1:9100'), /not ADDR:PORT/);
  t.match(parseListenAddress('a:b'), /not ADDR:PORT/);
});

t.test('flag first, then VRRP_METRICS_LISTEN, else off', async (t) => {
  t.equal(metricsListenFrom(undefined, {}), undefined);
  t.same(metricsListenFrom(undefined, { VRRP_METRICS_LISTEN: ':9100' }), { address: '0.0.0.0', port: 9100 });
  t.same(metricsListenFrom('127.0.0.1:1', { VRRP_METRICS_LISTEN: ':9100' }), { address: '127.0.0.1', port: 1 });
});

t.test('vrrpd --metrics alone and with a value', async (t) => {
  const options = (argv: string[]) => {
    const command = parseCommand(argv);
    return command.kind === 'run' ? command.options.metrics : command.kind;
  };
  t.equal(options([]), undefined, 'off by default');
  t.equal(options(['--metrics']), '', 'alone: the default listener');
  t.equal(options(['--metrics=127.0.0.1:9100']), '127.0.0.1:9100');
});

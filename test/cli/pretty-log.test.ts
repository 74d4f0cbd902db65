// The readable log form used on a terminal and with -l.

import t from 'tap';
import { prettyLine } from '../../src/cli/pretty-log.js';

t.test('a state change reads as one line: time, level, message', async (t) => {
  const line = prettyLine(
    JSON.stringify({
      level: 'info',
      time: '2026-01-01T00:00:00.000Z',
      pid: 1,
      name: 'vrrpd',
      event: 'stateChange',
      router: 'VI_1',
      from: 'Backup',
      to: 'Master',
      reason: 'master-down-timer',
      msg: 'VI_1: Backup -> Master (master-down-timer)',
    }),
  );
  t.equal(line, '2026-01-01T00:00:00.000Z INFO  VI_1: Backup -> Master (master-down-timer)\n');
});

t.test('other lines carry their fields as key=value, quoting what needs it', async (t) => {
  const line = prettyLine(
    JSON.stringify({
      level: 'warn',
      time: '2026-01-01T00:00:00.000Z',
      pid: 1,
      event: 'dropped',
      router: 'VI_1',
      reason: 'bad-checksum',
      detail: 'from 192.0.2.9',
      count: 3,
      msg: 'VI_1: dropped a packet (bad-checksum), 3 so far',
    }),
  );
  t.equal(
    line,
    '2026-01-01T00:00:00.000Z WARN  VI_1: dropped a packet (bad-checksum), 3 so far  router=VI_1 reason=bad-checksum detail="from 192.0.2.9" count=3\n',
  );
});

t.test('a line that is not JSON passes through', async (t) => {
  t.equal(prettyLine('plain text'), 'plain text\n');
});

t.test('a self-explaining line still shows what a rate limit held back and what a slow reader lost', async (t) => {
  const line = prettyLine(
    JSON.stringify({
      level: 'info',
      time: '2026-01-01T00:00:00.000Z',
      pid: 1,
      event: 'stateChange',
      router: 'VI_1',
      from: 'Master',
      to: 'Backup',
      suppressed: 12,
      logLinesDropped: 40,
      msg: 'VI_1: Master -> Backup (higher-priority-advert)',
    }),
  );
  t.equal(
    line,
    '2026-01-01T00:00:00.000Z INFO  VI_1: Master -> Backup (higher-priority-advert)  suppressed=12 logLinesDropped=40\n',
  );
});

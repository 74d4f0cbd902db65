// NotifyFifos on its own (no namespace, any user): the line format, a FIFO made and removed, one that
// exists kept, a path that is no FIFO refused without a crash, and a full FIFO (no reader) never
// blocking: its lines are dropped and counted.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandPreparation } from '../../src/health/command-prep.js';
import { NotifyFifos, notifyFifoLine } from '../../src/health/notify-fifo.js';
import { recordingLogger, scratchDir } from './helpers.js';

const preparation = new CommandPreparation(undefined);

function readAll(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    reader.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    reader.on('error', reject);
    reader.on('close', () => resolve(text));
  });
}

t.test("keepalived's line: the last four arguments of notify, the name quoted", async (t) => {
  t.equal(notifyFifoLine('INSTANCE', 'VI_1', 'MASTER', 100), 'INSTANCE "VI_1" MASTER 100\n');
  t.equal(notifyFifoLine('GROUP', 'G1', 'STOP', 0), 'GROUP "G1" STOP 0\n');
});

t.test('a missing FIFO is made (0600), written without a reader, and removed at close', async (t) => {
  const dir = await scratchDir(t);
  const path = join(dir, 'vrrp.fifo');
  const logger = recordingLogger();
  const fifos = new NotifyFifos([{ path }], logger, preparation);
  t.equal(fifos.size, 1);
  t.ok(statSync(path).isFIFO(), 'made');
  t.equal(statSync(path).mode & 0o777, 0o600, 'mode 0600, as keepalived');
  // Written before anyone reads: the FIFO holds it (we hold it open for reading too).
  fifos.write(notifyFifoLine('INSTANCE', 'VI_1', 'BACKUP', 100));
  const read = readAll(path);
  fifos.write(notifyFifoLine('INSTANCE', 'VI_1', 'MASTER', 100));
  await new Promise((resolve) => setTimeout(resolve, 100));
  fifos.close();
  t.equal(
    await read,
    'INSTANCE "VI_1" BACKUP 100\nINSTANCE "VI_1" MASTER 100\n',
    'the reader gets every line, in order',
  );
  t.notOk(existsSync(path), 'removed: we made it');
  t.same(
    logger.records.filter((r) => r.level === 'error' || r.level === 'warn'),
    [],
  );
});

t.test('a FIFO that exists is used and kept; a path that is no FIFO is refused with a log line', async (t) => {
  const dir = await scratchDir(t);
  const fifo = join(dir, 'kept.fifo');
  t.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const file = join(dir, 'plain');
  writeFileSync(file, 'not a fifo');
  const logger = recordingLogger();
  const fifos = new NotifyFifos(
    [{ path: fifo }, { path: file }, { path: join(dir, 'no-such-dir', 'x.fifo') }],
    logger,
    preparation,
  );
  t.equal(fifos.size, 1, 'only the real FIFO is open');
  t.match(
    logger.records.filter((r) => r.level === 'error').map((r) => r.message),
    [/plain: exists and is not a FIFO/, /x\.fifo: cannot be made/],
  );
  fifos.close();
  t.ok(statSync(fifo).isFIFO(), 'a FIFO we did not make is left in place');
});

t.test('nobody reads: the FIFO fills, later lines are dropped and counted, nothing blocks', async (t) => {
  const dir = await scratchDir(t);
  const logger = recordingLogger();
  const fifos = new NotifyFifos([{ path: join(dir, 'full.fifo') }], logger, preparation);
  const line = notifyFifoLine('INSTANCE', 'VI_1', 'MASTER', 100);
  const started = Date.now();
  // 64 KiB of pipe buffer holds about 2,500 lines of 27 bytes; write twice that.
  for (let i = 0; i < 5000; i++) fifos.write(line);
  t.ok(Date.now() - started < 2000, 'the writes never waited for a reader');
  t.ok(fifos.dropped > 1000, `${fifos.dropped} lines dropped`);
  t.match(
    logger.records.find((r) => r.level === 'warn'),
    { object: { event: 'notify-fifo' }, message: /line not written/ },
  );
  fifos.close();
});

t.test('the FIFO script gets the FIFO path as its last argument', async (t) => {
  const dir = await scratchDir(t);
  const path = join(dir, 'scripted.fifo');
  const out = join(dir, 'args');
  const logger = recordingLogger();
  const fifos = new NotifyFifos(
    [{ path, script: ['/bin/sh', '-c', `printf '%s\\n' "$0" "$1" > ${out}`, 'first'] }],
    logger,
    preparation,
  );
  for (let i = 0; i < 50 && !existsSync(out); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  fifos.close();
  t.equal(readFileSync(out, 'utf8'), `first\n${path}\n`);
});

// Issue 17's flight recorder on a live LAN: two bin/vrrpd routers (VRRPv3, IPv4, 0.5 s adverts), the
// Master killed with SIGKILL, the Backup takes over. The Backup's recording, fetched through the status
// socket's `record` command and again on SIGUSR1, replays through the core to the same state changes,
// in the same order, with the same causes; and those are the ones the daemon logged as they happened.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { query } from '../../src/cli/status-socket.js';
import { parseRecording, replayRecording, replayReport } from '../../src/sim/replay.js';
import { electOneVip, skipReason, waitUntil, type RouterProcess, type VrrpdProcess } from './harness.js';
import { VRRPD } from './routers.js';

const SCENARIO = {
  router: 'VI_1',
  vrid: 61,
  vip: '192.0.2.100',
  intervalCs: 50,
  priorities: { r1: 200, r2: 150 },
} as const;

/** The daemon's own log lines for VI_1, as (state entered, reason). */
function logged(router: RouterProcess): string[] {
  return router.states.filter((s) => s.router === 'VI_1').map((s) => `${s.state} (${s.reason})`);
}

function replayOf(file: string) {
  const recording = parseRecording(readFileSync(file, 'utf8'));
  return { recording, replayed: replayRecording(recording) };
}

t.test(
  "a live failover: the Backup's recording replays to the same transitions",
  { skip: skipReason() ?? false },
  async (t) => {
    const { h, routers, bound } = await electOneVip(t, ['vrrpd', 'vrrpd'], 'frv', SCENARIO);
    const since = routers.r2!.mark();
    await h.killHard(routers.r1!);
    await routers.r2!.waitForState('VI_1', 'Master', bound(SCENARIO.priorities.r2), since);
    const r2 = routers.r2 as VrrpdProcess;

    const reply = (await query(r2.socket, 'record')) as { file?: string };
    t.equal(reply.file, join(r2.dir, 'vrrpd.recording.json'), 'the status socket wrote the recording');
    const { recording, replayed } = replayOf(reply.file!);
    t.equal(recording.complete, true, 'the ring has not wrapped in a few seconds');
    t.ok(
      recording.inputs.some((entry) => entry.kind === 'packet'),
      "r1's adverts are in it, as received packets",
    );
    t.same(replayed.skipped, []);
    const lines = replayed.transitions.map((x) => `${x.from} -> ${x.to} (${x.reason})`);
    // Between the two, a loaded machine may let r2 time out before r1's first advert arrives, then
    // step down on hearing it: whatever happened live, the replay must give it too (below).
    t.equal(lines[0], 'Initialize -> Backup (startup)', 'the replay: Backup at start');
    t.equal(lines.at(-1), 'Backup -> Master (master-down-timer)', 'and Master when r1 fell silent');
    t.same(replayed.transitions, recording.transitions, 'the same transitions as recorded: order, cause, time');
    const report = replayReport(recording);
    t.comment(`vrrp-sim --replay ${reply.file}:\n${report.text}`);
    t.equal(report.matches, true, 'vrrp-sim --replay says the same');
    t.same(
      replayed.transitions.map((x) => `${x.to} (${x.reason})`),
      logged(r2),
      'and the same the daemon logged as they happened',
    );

    // keepalived's data-dump signal writes it too, next to keepalived.data.
    const file = join(r2.dir, 'vrrpd.recording.json');
    rmSync(file);
    process.kill(r2.pid, 'SIGUSR1');
    await waitUntil(() => (existsSync(file) ? true : undefined), 3000, 'the recording after SIGUSR1');
    t.ok(existsSync(join(r2.dir, 'keepalived.data')), 'beside the data dump');
    const again = replayOf(file);
    t.same(again.replayed.transitions, again.recording.transitions, 'the SIGUSR1 recording replays the same');
    t.ok(again.recording.inputs.length >= recording.inputs.length, 'and holds at least as many inputs');

    // What an operator types: `vrrpd record` asks through the socket and prints the file.
    const printed = execFileSync(process.execPath, [VRRPD, 'record', '--socket', r2.socket], { encoding: 'utf8' });
    t.equal(printed, `${file}\n`, 'vrrpd record prints the file it had written');
  },
);

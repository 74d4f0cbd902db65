// A child for logger.test.ts: logs through createLogger to a stdout the test may leave unread.
//   flood: logs LINES_PER_TICK lines every TICK_MS until FLOOD_LINES are logged (about 4.8 MB: more
//          than the pipe and the 1 MiB queue hold, however slowly a loaded machine runs it), timing
//          its own timer; then reports
//          over IPC how many lines it logged and how late its timer ever was, and stays until the
//          test disconnects.
//   exit:  logs a burst, then a last line, and exits at once; with a file argument, first writes
//          the wall-clock time of its exit call there (the test times the exit from it, not from a
//          start-up that a loaded machine may stretch).

import { writeFileSync } from 'node:fs';
import { createLogger } from '../../src/cli/logger.js';

const TICK_MS = 5;
const FLOOD_LINES = 16_000;
const LINES_PER_TICK = 50;
const PADDING = 'x'.repeat(200);

const mode = process.argv[2];
const logger = createLogger('info', { name: 'flood', format: process.argv[3] === 'pretty' ? 'pretty' : 'json' });

if (mode === 'exit') {
  for (let i = 0; i < 2000; i++) logger.info({ event: 'flood', i, padding: PADDING }, 'flood');
  logger.info({ event: 'last' }, 'the last line before exit');
  const exitStampFile = process.argv[3];
  if (exitStampFile !== undefined) writeFileSync(exitStampFile, String(Date.now()));
  process.exit(0);
}

let logged = 0;
let maxLateMs = 0;
const startMs = performance.now();
let dueMs = startMs + TICK_MS;
const tick = (): void => {
  maxLateMs = Math.max(maxLateMs, performance.now() - dueMs);
  for (let i = 0; i < LINES_PER_TICK; i++) {
    logger.info({ event: 'flood', i: logged, padding: PADDING }, 'flood');
    logged++;
  }
  if (logged < FLOOD_LINES) {
    // Lateness counts from when the timer was set, so the logging's own CPU time is not counted.
    dueMs = performance.now() + TICK_MS;
    setTimeout(tick, TICK_MS);
    return;
  }
  process.send!({ logged, maxLateMs });
};
setTimeout(tick, TICK_MS);
process.on('disconnect', () => {
  logger.info({ event: 'done' }, 'done');
  process.exit(0);
});

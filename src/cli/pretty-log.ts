// A small readable form of the JSON log lines, for a terminal or `vrrpd -l` (pino-pretty is not a
// dependency): "TIME LEVEL message", then, for warnings and errors and for lines whose message does
// not say it all, the remaining fields as key=value.

/** Fields every line has, or that the message already says. */
const QUIET = new Set(['level', 'time', 'pid', 'name', 'msg', 'event', 'hostname']);
/** Events whose message carries everything an operator needs at a glance. */
const SELF_EXPLAINING = new Set(['stateChange', 'priorityChange', 'vipsAnnounced', 'stopped']);
/** Shown on every line that has them: lines held back by a rate limit, or lost to a slow reader. */
const ALWAYS_SHOWN = ['suppressed', 'logLinesDropped'];

function show(value: unknown): string {
  if (typeof value === 'string') return /^[\w.:/@+-]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

/** One JSON log line in, one readable line (ending in a newline) out; a line that is not JSON passes. */
export function prettyLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const level = String(record.level ?? 'info')
    .toUpperCase()
    .padEnd(5);
  const time =
    typeof record.time === 'string' ? record.time : new Date(Number(record.time ?? Date.now())).toISOString();
  const message = typeof record.msg === 'string' ? record.msg : String(record.event ?? '');
  let line = `${time} ${level} ${message}`;
  const everyField = !SELF_EXPLAINING.has(String(record.event));
  const extra = Object.entries(record)
    .filter(([key, value]) => (everyField ? !QUIET.has(key) : ALWAYS_SHOWN.includes(key)) && value !== undefined)
    .map(([key, value]) => `${key}=${show(value)}`);
  if (extra.length > 0) line += `  ${extra.join(' ')}`;
  return `${line}\n`;
}

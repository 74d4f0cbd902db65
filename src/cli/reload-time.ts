// The time in a reload_time_file, read as keepalived 2.2.7 reads it (core/reload_monitor.c): exactly
// `HH:MM:SS`, `YY-MM-DD HH:MM:SS` or `YYYY-MM-DD HH:MM:SS`, each with an optional `Z` for UTC (local
// time otherwise). A time that does not exist (25:00:00, 2026-02-30, a local time skipped by a DST
// change) is refused; a time alone that has passed today means tomorrow; a date and time in the past
// is refused. Pure: the caller gives the current time.

export type ReloadTime =
  | {
      readonly ok: true;
      /** When to reload, in ms since the epoch (a whole second). */
      readonly atMs: number;
      /** A date was written: keepalived then removes the file after the reload even with reload_repeat. */
      readonly dateGiven: boolean;
    }
  | { readonly ok: false; readonly reason: string };

const FORMATS: Readonly<Record<number, RegExp>> = {
  8: /^()()()(\d\d):(\d\d):(\d\d)$/,
  17: /^(\d\d)-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$/,
  19: /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$/,
};

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The fields in UTC or local time, and back: what mktime / timegm do, normalising out-of-range fields. */
function toMs(f: Fields, utc: boolean): number {
  const date = new Date(0);
  if (utc) {
    date.setUTCFullYear(f.year, f.month - 1, f.day);
    date.setUTCHours(f.hour, f.minute, f.second, 0);
  } else {
    date.setFullYear(f.year, f.month - 1, f.day);
    date.setHours(f.hour, f.minute, f.second, 0);
  }
  return date.getTime();
}

function fieldsOf(ms: number, utc: boolean): Fields {
  const d = new Date(ms);
  return utc
    ? {
        year: d.getUTCFullYear(),
        month: d.getUTCMonth() + 1,
        day: d.getUTCDate(),
        hour: d.getUTCHours(),
        minute: d.getUTCMinutes(),
        second: d.getUTCSeconds(),
      }
    : {
        year: d.getFullYear(),
        month: d.getMonth() + 1,
        day: d.getDate(),
        hour: d.getHours(),
        minute: d.getMinutes(),
        second: d.getSeconds(),
      };
}

function sameFields(a: Fields, b: Fields): boolean {
  return (
    a.year === b.year &&
    a.month === b.month &&
    a.day === b.day &&
    a.hour === b.hour &&
    a.minute === b.minute &&
    a.second === b.second
  );
}

/** The reload time `text` names, seen at `nowMs`; the timezone is the process's (TZ). */
export function parseReloadTime(text: string, nowMs: number): ReloadTime {
  const utc = text.endsWith('Z');
  const body = utc ? text.slice(0, -1) : text;
  const format = FORMATS[body.length];
  if (format === undefined)
    return { ok: false, reason: `"${text}" is not HH:MM:SS, YY-MM-DD HH:MM:SS or YYYY-MM-DD HH:MM:SS (Z for UTC)` };
  const m = format.exec(body);
  if (m === null) return { ok: false, reason: `"${text}" is not a valid date and time` };
  const today = fieldsOf(nowMs, utc);
  const dateGiven = body.length !== 8;
  const twoDigitYear = Number(m[1]);
  const fields: Fields = {
    // strptime's %y: 69-99 are 1969-1999, 00-68 are 2000-2068.
    year: !dateGiven
      ? today.year
      : body.length === 17
        ? twoDigitYear + (twoDigitYear < 69 ? 2000 : 1900)
        : twoDigitYear,
    month: dateGiven ? Number(m[2]) : today.month,
    day: dateGiven ? Number(m[3]) : today.day,
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6]),
  };
  let atMs = toMs(fields, utc);
  if (!sameFields(fieldsOf(atMs, utc), fields)) return { ok: false, reason: `"${text}" is not a valid time` };
  // Compared in whole seconds, as keepalived compares time_t values.
  if (atMs / 1000 <= Math.floor(nowMs / 1000)) {
    if (dateGiven) return { ok: false, reason: `"${text}" is in the past` };
    atMs = toMs({ ...fields, day: fields.day + 1 }, utc);
  }
  return { ok: true, atMs, dateGiven };
}

/** keepalived's way of writing a reload time in its log: local `YYYY-MM-DD HH:MM:SS`. */
export function formatReloadTime(ms: number): string {
  const f = fieldsOf(ms, false);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${f.year}-${two(f.month)}-${two(f.day)} ${two(f.hour)}:${two(f.minute)}:${two(f.second)}`;
}

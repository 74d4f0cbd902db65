// The reload_time_file formats, as keepalived 2.2.7 reads them (core/reload_monitor.c parse_datetime),
// seen from fixed times in fixed time zones.
import t from 'tap';
import { formatReloadTime, parseReloadTime } from '../../src/cli/reload-time.js';

/** Runs `fn` with the process's time zone set to `tz` (Node reads TZ again when it changes). */
function inZone<T>(tz: string, fn: () => T): T {
  const saved = process.env.TZ;
  process.env.TZ = tz;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
}

const NOON_UTC = Date.UTC(2026, 2, 10, 12, 0, 0); // 2026-03-10 12:00:00Z, a Tuesday

t.test('a time alone: today if still to come, else tomorrow', async (t) => {
  inZone('UTC', () => {
    t.same(parseReloadTime('13:00:00', NOON_UTC), { ok: true, atMs: Date.UTC(2026, 2, 10, 13), dateGiven: false });
    t.same(parseReloadTime('11:00:00', NOON_UTC), { ok: true, atMs: Date.UTC(2026, 2, 11, 11), dateGiven: false });
    t.same(
      parseReloadTime('12:00:00', NOON_UTC + 999),
      { ok: true, atMs: Date.UTC(2026, 2, 11, 12), dateGiven: false },
      'the current second has passed (keepalived compares whole seconds)',
    );
    t.same(parseReloadTime('12:00:01', NOON_UTC + 999), { ok: true, atMs: NOON_UTC + 1000, dateGiven: false });
  });
});

t.test('a date and time: a past one is refused', async (t) => {
  inZone('UTC', () => {
    t.same(parseReloadTime('2026-03-10 13:30:05', NOON_UTC), {
      ok: true,
      atMs: Date.UTC(2026, 2, 10, 13, 30, 5),
      dateGiven: true,
    });
    t.same(parseReloadTime('26-12-31 23:59:59', NOON_UTC), {
      ok: true,
      atMs: Date.UTC(2026, 11, 31, 23, 59, 59),
      dateGiven: true,
    });
    t.match(parseReloadTime('2026-03-10 11:59:59', NOON_UTC), { ok: false, reason: /in the past/ });
    t.match(parseReloadTime('69-01-01 00:00:00', NOON_UTC), { ok: false, reason: /in the past/ }, '69 is 1969');
    t.same(parseReloadTime('68-01-01 00:00:00', NOON_UTC), {
      ok: true,
      atMs: Date.UTC(2068, 0, 1),
      dateGiven: true,
    });
  });
});

t.test('exactly the three formats, with an optional Z', async (t) => {
  inZone('UTC', () => {
    for (const text of ['1:00:00', ' 13:00:00', '13:00:00 ', '13:00', '2026-3-10 13:00:00', '']) {
      t.match(parseReloadTime(text, NOON_UTC), { ok: false, reason: /is not HH:MM:SS/ }, JSON.stringify(text));
    }
    for (const text of ['13:00:0x', '2026-03-10  3:00:00', '2026/03/10 13:00:00', '2026-03-10T13:00:00', '+1:00:00']) {
      t.match(parseReloadTime(text, NOON_UTC), { ok: false }, JSON.stringify(text));
    }
  });
});

t.test('a time that does not exist is refused', async (t) => {
  inZone('UTC', () => {
    for (const text of ['24:00:00', '12:60:00', '12:00:60', '2026-02-29 10:00:00', '2026-13-01 10:00:00']) {
      t.match(parseReloadTime(text, NOON_UTC), { ok: false, reason: /not a valid time/ }, text);
    }
    t.same(parseReloadTime('2028-02-29 10:00:00', NOON_UTC), {
      ok: true,
      atMs: Date.UTC(2028, 1, 29, 10),
      dateGiven: true,
    });
  });
  inZone('Europe/London', () => {
    // Clocks go from 01:00 to 02:00 GMT on 2026-03-29: 01:30 local does not exist.
    t.match(parseReloadTime('2026-03-29 01:30:00', NOON_UTC), { ok: false, reason: /not a valid time/ });
    t.same(
      parseReloadTime('2026-03-29 01:30:00Z', NOON_UTC),
      { ok: true, atMs: Date.UTC(2026, 2, 29, 1, 30), dateGiven: true },
      'in UTC it exists',
    );
  });
});

t.test('local time unless Z; tomorrow is the same wall-clock time across a DST change', async (t) => {
  inZone('America/New_York', () => {
    // 12:00Z is 08:00 EDT on 2026-03-10 (DST began on 2026-03-08).
    t.same(parseReloadTime('09:00:00', NOON_UTC), { ok: true, atMs: Date.UTC(2026, 2, 10, 13), dateGiven: false });
    t.same(parseReloadTime('09:00:00Z', NOON_UTC), { ok: true, atMs: Date.UTC(2026, 2, 11, 9), dateGiven: false });
    // On 2026-03-07 (EST, UTC-5) at 12:00Z = 07:00 local, 06:00 local has passed: tomorrow 06:00 is EDT.
    const saturday = Date.UTC(2026, 2, 7, 12);
    t.same(parseReloadTime('06:00:00', saturday), { ok: true, atMs: Date.UTC(2026, 2, 8, 10), dateGiven: false });
    t.equal(formatReloadTime(Date.UTC(2026, 2, 8, 10)), '2026-03-08 06:00:00');
  });
});

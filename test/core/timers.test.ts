// Timer formulas: RFC 3768 6.1 (v2) and RFC 9568 6.1 (v3), exact values in ms, never rounded.
import t from 'tap';
import { advertIntervalMs, masterDownIntervalMs, skewMs } from '../../src/core/timers.js';

// RFC 3768 6.1: Skew_Time = (256 - Priority) / 256 seconds, independent of the interval.
t.test('v2 skew: priority 100 is 156/256 s = 609.375 ms', async (t) => {
  t.equal(skewMs(2, 100, 100), 609.375);
  t.equal(skewMs(2, 100, 300), 609.375, 'the v2 interval plays no part in the skew');
});

// RFC 3768 6.1: Master_Down_Interval = 3 * Advertisement_Interval + Skew_Time.
t.test('v2 master down: priority 100, 1 s interval is 3609.375 ms', async (t) => {
  t.equal(masterDownIntervalMs(2, 100, 100), 3609.375);
  t.equal(masterDownIntervalMs(2, 200, 300), 9000 + 218.75);
});

// The skew-rounded-to-zero bug class: whole-second arithmetic makes every v2 skew 0.
t.test('v2 skew is never rounded to zero: priority 254 is 7.8125 ms, 255 is 3.90625 ms', async (t) => {
  t.equal(skewMs(2, 254, 100), 7.8125);
  t.equal(skewMs(2, 255, 100), 3.90625);
  t.equal(skewMs(2, 1, 100), 996.09375);
});

// RFC 9568 6.1: Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256 centiseconds.
t.test('v3 skew scales with Master_Adver_Interval', async (t) => {
  t.equal(skewMs(3, 100, 100), 609.375, '156 * 100 cs / 256 = 60.9375 cs');
  t.equal(skewMs(3, 100, 200), 1218.75);
  t.equal(skewMs(3, 200, 50), 109.375, '56 * 50 / 256 = 10.9375 cs');
});

// The same bug class in v3: integer centiseconds make (256-254)*1/256 cs = 0.
t.test('v3 skew is never rounded to zero: priority 254 at 10 ms interval is 0.078125 ms', async (t) => {
  t.equal(skewMs(3, 254, 1), 0.078125);
  t.ok(skewMs(3, 254, 1) > 0);
  t.equal(masterDownIntervalMs(3, 254, 1), 30.078125);
});

// RFC 9568 6.1: Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time.
t.test('v3 master down: priority 100, 100 cs is 3609.375 ms; 4095 cs maximum', async (t) => {
  t.equal(masterDownIntervalMs(3, 100, 100), 3609.375);
  t.equal(masterDownIntervalMs(3, 100, 4095), 3 * 40950 + (156 * 4095 * 10) / 256);
});

t.test('advert interval in ms', async (t) => {
  t.equal(advertIntervalMs(100), 1000);
  t.equal(advertIntervalMs(1), 10);
});

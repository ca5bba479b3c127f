// Packet times as text, including the garbage times capture files carry.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clockMs, formatTime, isoTime, utcClock } from '../src/common/time-format.js';

test('times within the calendar: ISO dates, day clocks, rounding to the microsecond', () => {
  assert.equal(isoTime(1422527998.578402281), '2015-01-29T10:39:58.578402Z');
  assert.equal(isoTime(30.1), '1970-01-01T00:00:30.100000Z');
  assert.equal(isoTime(59.9999999), '1970-01-01T00:01:00.000000Z');
  assert.equal(utcClock(1422527998.578402281), '10:39:58.578402');
  assert.equal(clockMs(30.1), '00:00:30.100');
  assert.equal(formatTime(1422527998, 578402281, 'utc', 0), '10:39:58.578402');
  assert.equal(formatTime(1422527998, 578402281, 'epoch', 0), '1422527998.578402');
  assert.equal(formatTime(1422527998, 999999999, 'iso', 0), '2015-01-29T10:39:58.999999Z');
  assert.equal(formatTime(18446744073204, 277451000, 'iso', 0), '18446744073204.277451 (epoch s)');
});

test('times no Date can hold: clocks by arithmetic, dates as epoch seconds', () => {
  // A pcapng timestamp of 2^64 - 505 s in µs (tshark shows 18446744073204.277451).
  assert.equal(formatTime(18446744073204, 277451000, 'utc', 0), '07:53:24.277451');
  assert.equal(utcClock(18446744073204.25), '07:53:24.250000');
  assert.equal(clockMs(18446744073204.25), '07:53:24.250');
  assert.equal(isoTime(18446744073204.25), '18446744073204.250000 (epoch s)');
  // Past year 9999 a Date still exists, but its ISO text is no longer YYYY-MM-DD.
  assert.equal(isoTime(253402300800), '253402300800.000000 (epoch s)');
  assert.equal(isoTime(253402300799), '9999-12-31T23:59:59.000000Z');
  // Before the epoch (a clock set wrong): the day clock still counts forward.
  assert.equal(formatTime(-1, 0, 'utc', 0), '23:59:59.000000');
  assert.equal(isoTime(-1), '1969-12-31T23:59:59.000000Z');
});

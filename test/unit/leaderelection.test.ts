// The pure decisions of leader election (client/leaderelection.ts), as
// client-go's tryAcquireOrRenew makes them.
import test from 'ava';
import { heldByOther, leaseSpec, leaseValid, microTime, nextRecord, recordFromLease, releasedRecord, timingErrors, type Observed } from '../../client/leaderelection.js';
import { goDuration } from '../../cli/commands/controllers.js';

const rec = (holderIdentity: string, leaseDurationSeconds = 15, leaderTransitions = 0) => ({
  holderIdentity,
  leaseDurationSeconds,
  acquireTime: microTime(0),
  renewTime: microTime(0),
  leaderTransitions,
});
const seen = (r: ReturnType<typeof rec>, at: number): Observed => ({ record: r, raw: JSON.stringify(r), at });

test('a lease is in force for leaseDuration after it was seen to change, on our clock', (t) => {
  const o = seen(rec('a', 15), 1_000_000);
  t.true(leaseValid(o, 1_000_000));
  t.true(leaseValid(o, 1_014_999));
  t.false(leaseValid(o, 1_015_000));
});

test('held by another only while in force, never when empty or ours', (t) => {
  t.true(heldByOther(seen(rec('a'), 0), 'b', 10_000));
  t.false(heldByOther(seen(rec('a'), 0), 'b', 15_000), 'expired');
  t.false(heldByOther(seen(rec(''), 0), 'b', 1), 'released');
  t.false(heldByOther(seen(rec('b'), 0), 'b', 1), 'ours');
});

test('renewing keeps acquireTime and transitions; taking over counts a transition', (t) => {
  const old = { ...rec('a', 15, 3), acquireTime: '2026-01-01T00:00:00.000000Z' };
  const renewed = nextRecord(old, 'a', 15, Date.parse('2026-01-01T00:00:10Z'));
  t.is(renewed.acquireTime, '2026-01-01T00:00:00.000000Z');
  t.is(renewed.renewTime, '2026-01-01T00:00:10.000000Z');
  t.is(renewed.leaderTransitions, 3);
  const taken = nextRecord(old, 'b', 15, Date.parse('2026-01-01T00:00:30.5Z'));
  t.is(taken.holderIdentity, 'b');
  t.is(taken.acquireTime, '2026-01-01T00:00:30.500000Z');
  t.is(taken.leaderTransitions, 4);
  const first = nextRecord(undefined, 'a', 15, 0);
  t.deepEqual(first, { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: microTime(0), renewTime: microTime(0), leaderTransitions: 0 });
});

test('a released lease has no holder and a one-second duration', (t) => {
  const r = releasedRecord(rec('a', 15, 2), 5000);
  t.is(r.holderIdentity, '');
  t.is(r.leaseDurationSeconds, 1);
  t.is(r.leaderTransitions, 2);
});

test('record <-> Lease spec round trip, with the Lease field names', (t) => {
  const r = rec('x', 7, 1);
  const spec = leaseSpec(r);
  t.deepEqual(Object.keys(spec).sort(), ['acquireTime', 'holderIdentity', 'leaseDurationSeconds', 'leaseTransitions', 'renewTime']);
  t.deepEqual(recordFromLease({ metadata: {}, spec }), r);
  t.deepEqual(recordFromLease({ metadata: {} }), { holderIdentity: '', leaseDurationSeconds: 0, acquireTime: '', renewTime: '', leaderTransitions: 0 });
});

test('timings are checked as client-go checks them', (t) => {
  t.deepEqual(timingErrors({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }), []);
  t.deepEqual(timingErrors({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }), ['leaseDuration must be greater than renewDeadline']);
  t.deepEqual(timingErrors({ leaseDurationMs: 15_000, renewDeadlineMs: 2_400, retryPeriodMs: 2_000 }), ['renewDeadline must be greater than retryPeriod*JitterFactor']);
});

test('Go durations for the --leader-elect-* flags', (t) => {
  t.is(goDuration('15s', 'x'), 15_000);
  t.is(goDuration('1m30s', 'x'), 90_000);
  t.is(goDuration('500ms', 'x'), 500);
  t.is(goDuration('1.5s', 'x'), 1500);
  t.throws(() => goDuration('15', 'leader-elect-lease-duration'), { message: 'error: invalid argument "15" for "--leader-elect-lease-duration" flag: time: invalid duration "15"' });
  t.throws(() => goDuration('5x', 'x'));
});

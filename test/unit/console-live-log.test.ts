// The console's live log (web/src/live-log.ts), its pure parts:
// - it asks again after a stream ends unasked, unless the server refused it:
//   a refusal retried every second would loop for ever, and a dropped
//   stream not retried leaves the page disconnected for good;
// - its buffer batches renders (see the tests at the end).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogBuffer, streamRefusal } from '../../web/src/live-log.js';

test('GraphQL errors with a refusal code are refusals, named by code and message', () => {
  assert.equal(
    streamRefusal([{ message: 'API key revoked', extensions: { code: 'UNAUTHENTICATED' } }]),
    'UNAUTHENTICATED: API key revoked',
  );
  for (const code of ['FORBIDDEN', 'TOO_MANY_SUBSCRIPTIONS', 'BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED']) {
    assert.match(streamRefusal([{ message: 'x', extensions: { code } }]) ?? '', new RegExp(`^${code}`));
  }
});

test('a masked server fault or an unknown error is worth asking again', () => {
  assert.equal(streamRefusal([{ message: 'Unexpected error.' }]), null);
  assert.equal(streamRefusal([{ message: 'boom', extensions: { code: 'INTERNAL_SERVER_ERROR' } }]), null);
  assert.equal(streamRefusal(new Error('socket hang up')), null);
  assert.equal(streamRefusal(undefined), null);
});

test('close codes: 44xx refusals stop; going away, abnormal, server error, time-outs and a duplicate id retry', () => {
  assert.equal(streamRefusal({ code: 4401, reason: 'Unauthorized' }), 'closed 4401: Unauthorized');
  assert.equal(streamRefusal({ code: 4403, reason: '' }), 'closed 4403');
  assert.equal(streamRefusal({ code: 4429, reason: 'Too many streams' }), 'closed 4429: Too many streams');
  for (const code of [1000, 1001, 1006, 1011, 1012, 4408, 4409, 4499, 4500, 4504]) {
    assert.equal(streamRefusal({ code, reason: 'x' }), null, `close ${code}`);
  }
});

// The live log's buffer: renders batched per frame and, while attempts keep
// arriving, at most once per interval; pause and resume answer at once.
function harness(minIntervalMs: number) {
  let t = 0;
  const frames: (() => void)[] = [];
  const timers: { at: number; fn: () => void }[] = [];
  const renders: { at: number; ids: string[]; waiting: number }[] = [];
  const buf = createLogBuffer<{ id: string; createdAt: string }>({
    max: 3,
    minIntervalMs,
    onRender: (rows, waiting) => renders.push({ at: t, ids: rows.map((r) => r.id), waiting }),
    schedule: (fn) => frames.push(fn),
    now: () => t,
    delay: (fn, ms) => {
      const timer = { at: t + ms, fn };
      timers.push(timer);
      return timer;
    },
    cancelDelay: (h) => timers.splice(timers.indexOf(h as (typeof timers)[number]), 1),
  });
  const frame = () => frames.splice(0).forEach((f) => f());
  const advance = (ms: number) => {
    t += ms;
    for (const timer of timers.filter((x) => x.at <= t)) {
      timers.splice(timers.indexOf(timer), 1);
      timer.fn();
    }
    frame();
  };
  const row = (n: number) => ({ id: `a${n}`, createdAt: `2026-01-01T00:00:0${n}Z` });
  return { buf, renders, frame, advance, row, frames, timers };
}

test('many arrivals in one frame make one render, newest first, bounded to max rows', () => {
  const h = harness(0);
  for (let n = 1; n <= 5; n++) h.buf.push(h.row(n));
  assert.equal(h.frames.length, 1);
  h.frame();
  assert.deepEqual(h.renders, [{ at: 0, ids: ['a5', 'a4', 'a3'], waiting: 0 }]);
});

test('a first arrival after a quiet spell shows on the next frame; a busy stream renders at most once per interval', () => {
  const h = harness(250);
  h.buf.push(h.row(1));
  h.frame();
  assert.equal(h.renders.length, 1, 'first arrival: next frame');
  h.advance(10);
  h.buf.push(h.row(2));
  h.frame();
  assert.equal(h.renders.length, 1, 'no render 10 ms after the last one');
  h.advance(100);
  h.buf.push(h.row(3));
  assert.equal(h.timers.length, 1, 'one timer for the whole batch');
  h.advance(139);
  assert.equal(h.renders.length, 1);
  h.advance(1);
  assert.equal(h.renders.length, 2, 'rendered when the interval is over');
  assert.deepEqual(h.renders[1], { at: 250, ids: ['a3', 'a2', 'a1'], waiting: 0 });
});

test('pause and resume render at once even inside the interval; arrivals while paused are counted, then shown', () => {
  const h = harness(250);
  h.buf.push(h.row(1));
  h.frame();
  h.advance(5);
  h.buf.pause();
  h.frame();
  assert.equal(h.renders.length, 2, 'pause shows on the next frame');
  h.buf.push(h.row(2));
  h.advance(300);
  assert.deepEqual(h.renders.at(-1), { at: 305, ids: ['a1'], waiting: 1 });
  h.advance(5);
  h.buf.resume();
  h.frame();
  assert.deepEqual(h.renders.at(-1), { at: 310, ids: ['a2', 'a1'], waiting: 0 });
  h.buf.dispose();
  h.buf.push(h.row(3));
  h.advance(1000);
  assert.equal(h.renders.at(-1)!.at, 310, 'nothing after dispose');
});

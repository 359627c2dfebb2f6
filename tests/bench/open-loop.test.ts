/**
 * The open-loop driver of `npm run bench -- --only realistic`: latency is measured from when an event was
 * due, not from when a slow system got round to it, so a stall is charged to every event it delayed.
 * The "system" here is a single server with a queue, served one event at a time.
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { openLoop } from '../../bench/open-loop.ts';

/** A one-at-a-time server: each event waits for the ones before it, then takes `serviceMs` (or `stallMs` for event `stallAt`). */
function singleServer(serviceMs: number, stall?: { at: number; ms: number }) {
  let tail = Promise.resolve();
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  return (i: number) => {
    const done = tail.then(() => sleep(stall && i === stall.at ? stall.ms : serviceMs));
    tail = done;
    return done;
  };
}

describe('open-loop load driver', () => {
  it('charges a stall to every event that was due during it, measured from its due time', async () => {
    // 50 events/s for 1 s after 0.2 s of warm-up; the 5th measured event holds the server for 300 ms.
    const result = await openLoop({ rate: 50, seconds: 1, warmupSeconds: 0.2 }, singleServer(1, { at: 15, ms: 300 }));
    expect(result.events).toBe(50);
    expect(result.failed).toBe(0);
    // The stalled event waited ~300 ms; the ~15 due behind it waited for it, from their own due times:
    // at least the tenth of them (due 200 ms into the stall) still waited ~100 ms.
    expect(result.max_ms).toBeGreaterThanOrEqual(290);
    expect(result.p90_ms).toBeGreaterThanOrEqual(90);
    expect(result.p50_ms).toBeLessThan(result.p90_ms);
  });

  it('counts from the due time when the process itself could not send on time', async () => {
    // Event 15 blocks the event loop for 250 ms: the ~12 events due meanwhile are sent late, all at once,
    // and complete at once; measured from their send they would look instant.
    const blockAt = 15;
    const op = async (i: number) => {
      if (i === blockAt) {
        const until = performance.now() + 250;
        while (performance.now() < until) {
          // busy: nothing else runs
        }
      }
    };
    const result = await openLoop({ rate: 50, seconds: 1, warmupSeconds: 0.2 }, op);
    expect(result.events).toBe(50);
    expect(result.p90_ms).toBeGreaterThanOrEqual(60);
    expect(result.max_ms).toBeGreaterThanOrEqual(200);
  });

  it('says it did not keep up when the system serves slower than the rate', async () => {
    // 400 events/s into a server that takes at least 10 ms each: the backlog grows for the whole window.
    const result = await openLoop({ rate: 400, seconds: 0.5, warmupSeconds: 0 }, singleServer(10));
    expect(result.kept_up).toBe(false);
    expect(result.achieved_rate).toBeLessThan(200);
    expect(result.p99_ms).toBeGreaterThan(100);
  });
});

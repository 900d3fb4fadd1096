/**
 * The open-loop schedule's wait alone, no HTTP: PoissonSchedule at each rate with each
 * --send-timer, issuing into a no-op target, for `--duration` seconds per run, runs alternating
 * over `--repeats` rounds. Reports per timer and rate the process CPU per issued request and the
 * schedule lag (issued − scheduled) p50/p99, medians over the rounds.
 *
 *   taskset -c 1 node --import tsx bench/open-loop-timer.ts [--rates 200,2000,5000,20000] [--timers native,spin,timeout] [--duration 5] [--repeats 3]
 */
import { arrivalTimesFor, poissonArrivals } from '../src/schedule/arrival-shape.js';
import { monotonicNs } from '../src/record/clock.js';
import { PoissonSchedule } from '../src/schedule/poisson-schedule.js';
import type { SendTimer } from '../src/schedule/send-timer.js';

function opt(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const rates = opt('rates', '200,2000,5000,20000').split(',').map(Number);
const timers = opt('timers', 'native,spin,timeout').split(',') as SendTimer[];
const durationS = Number(opt('duration', '5'));
const repeats = Number(opt('repeats', '3'));

interface Run {
  achieved: number;
  cpuUsPerRequest: number;
  lagP50Us: number;
  lagP99Us: number;
}

function runOnce(rate: number, timer: SendTimer, seed: number): Promise<Run> {
  const lags = new Float64Array(Math.ceil(rate * durationS * 1.5) + 100);
  let n = 0;
  const s = new PoissonSchedule(
    {
      issue: (scheduledNs) => {
        if (n < lags.length) lags[n] = monotonicNs() - scheduledNs;
        n++;
      },
    },
    { maxRequests: Infinity, durationNs: durationS * 1e9 },
    arrivalTimesFor(poissonArrivals(rate), seed, 0, 1),
    timer,
  );
  return new Promise((resolve) => {
    const cpu0 = process.cpuUsage();
    const t0 = monotonicNs();
    s.onExhausted = () => {
      const cpu = process.cpuUsage(cpu0);
      const wallS = (monotonicNs() - t0) / 1e9;
      const sorted = lags.subarray(0, Math.min(n, lags.length)).sort();
      resolve({
        achieved: n / wallS,
        cpuUsPerRequest: (cpu.user + cpu.system) / n,
        lagP50Us: sorted[Math.floor(0.5 * (sorted.length - 1))] / 1e3,
        lagP99Us: sorted[Math.floor(0.99 * (sorted.length - 1))] / 1e3,
      });
    };
    s.start(t0);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function main(): Promise<void> {
  const cases = rates.flatMap((rate) => timers.map((timer) => ({ rate, timer })));
  const runs = new Map<string, Run[]>(cases.map((c) => [`${c.rate} ${c.timer}`, []]));
  for (let round = 0; round < repeats; round++) {
    for (const c of round % 2 === 0 ? cases : [...cases].reverse()) {
      const r = await runOnce(c.rate, c.timer, round + 1);
      runs.get(`${c.rate} ${c.timer}`)!.push(r);
      process.stderr.write(
        `  round ${round + 1} ${c.rate}/s ${c.timer}: ${r.achieved.toFixed(0)}/s, ${r.cpuUsPerRequest.toFixed(1)} µs CPU/req, lag p50 ${r.lagP50Us.toFixed(0)} µs p99 ${r.lagP99Us.toFixed(0)} µs\n`,
      );
    }
  }
  console.log('| rate | timer | achieved (vs target) | CPU µs/request | lag p50 µs | lag p99 µs |');
  console.log('|---|---|---|---|---|---|');
  for (const c of cases) {
    const rs = runs.get(`${c.rate} ${c.timer}`)!;
    const achieved = median(rs.map((r) => r.achieved));
    console.log(
      `| ${c.rate} | ${c.timer} | ${achieved.toFixed(0)} (${((achieved / c.rate - 1) * 100).toFixed(2)} %) | ${median(rs.map((r) => r.cpuUsPerRequest)).toFixed(1)} | ${median(rs.map((r) => r.lagP50Us)).toFixed(0)} | ${median(rs.map((r) => r.lagP99Us)).toFixed(0)} |`,
    );
  }
}

void main();

/**
 * Entry point of a shard process (forked by run/shard-handle.ts). It receives its plan, warms
 * up, waits for the common start time, runs, and streams records back over IPC. It never
 * outlives its parent: a lost IPC channel aborts the run and exits.
 */
import type { RunToShard, ShardToRun } from './shard-messages.js';
import { shardPlanWithRows } from '../dataset/shard-dataset.js';
import { ShardRunner } from './shard-runner.js';
import { idleShardHelpers, type ShardHelperPolicy } from './helper-priority.js';

function send(msg: ShardToRun, then?: () => void): void {
  if (process.connected) process.send!(msg, undefined, {}, then);
  else then?.();
}

let runner: ShardRunner | null = null;
let helperPolicy: ShardHelperPolicy = 'normal';

process.on('message', (raw: unknown) => {
  const msg = raw as RunToShard;
  try {
    switch (msg.type) {
      case 'plan': {
        helperPolicy = msg.plan.shardHelpers ?? 'normal';
        // A large dataset is read here, keeping only this shard's rows (dataset/shard-dataset.ts).
        shardPlanWithRows(msg.plan)
          .then((plan) => {
            runner = new ShardRunner(plan, {
              records: (batch) => send({ type: 'records', batch }),
              progress: (progress) => send({ type: 'progress', progress }),
            });
            return runner.warmup(msg.warmupConnections);
          })
          .then(
            () => send({ type: 'ready', connections: runner?.progress().openConnections ?? 0 }),
            (err: unknown) => {
              send({ type: 'fatal', message: (err as Error).message });
              process.exitCode = 1;
              process.disconnect?.();
            },
          );
        break;
      }
      case 'start': {
        if (runner === null) throw new Error('start before plan');
        // After the warm-up (connections, first compiles at the normal policy), for the run only.
        const helpers = idleShardHelpers(helperPolicy);
        runner.run(msg.startNs).then((summary) => {
          helpers?.restore();
          // Disconnect only once 'done' (and so every record batch before it) has been written:
          // closing the channel earlier drops whatever IPC still had queued.
          send({ type: 'done', summary }, () => process.disconnect?.());
        });
        break;
      }
      case 'abort':
        runner?.abort(msg.atEnd === true);
        break;
    }
  } catch (err) {
    send({ type: 'fatal', message: (err as Error).message });
    process.exitCode = 1;
    process.disconnect?.();
  }
});

process.on('disconnect', () => {
  // The run is gone (or we said goodbye): cancel what is left and exit.
  runner?.abort();
  setTimeout(() => process.exit(process.exitCode ?? 0), 50).unref();
});

// Ctrl-C (and `timeout`/service managers' SIGTERM) reach the whole process group; the run
// decides what happens — cancel, collect, report — so the shard ignores them.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});

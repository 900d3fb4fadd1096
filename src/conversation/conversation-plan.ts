/**
 * --multi-turn in the run's plan: the conversations are read instead of single-turn samples, and
 * each shard plan gets its share of them (rows i, i + n, … as for samples) and of the sessions.
 * A multi-turn run ends after its sessions (one per conversation unless --num-conversations), not
 * after the online default of 30 s: --duration and --num-samples (turns) bound it only when given.
 */
import type { BenchmarkSettings, BenchmarkSettingsInput } from '../config/benchmark-settings.js';
import { extname } from 'node:path';
import { loadDataset, type LoadDatasetOptions, type LoadedDataset } from '../dataset/load-dataset.js';
import type { Sample } from '../dataset/sample.js';
import { sampleOrder } from '../dataset/sample-order.js';
import { BadInputError, ErrorCode } from '../errors.js';
import type { ShardPlan } from '../shard/shard-plan.js';
import type { Conversation, WireMessage } from './conversation.js';
import { conversationFromMessages, readConversations } from './conversation-dataset.js';

export interface ConversationDataset extends LoadedDataset {
  conversations: Conversation[];
}

/** Same arguments as loadDataset (dataset/load-dataset.ts), so the run calls one or the other. */
export async function loadConversationDataset(
  path: string | undefined,
  options: Pick<LoadDatasetOptions, 'seed' | 'format' | 'limit'>,
): Promise<ConversationDataset> {
  if (path === undefined) {
    throw new BadInputError(
      ErrorCode.invalidFlag,
      '--multi-turn: needs --dataset with conversations (ShareGPT, MLPerf Endpoints agentic rows, or messages rows; see docs/multi-turn.md)',
    );
  }
  let conversations = readOwnFormat(path, options.format)
    ? await readConversations(path, options.format)
    : await viaDatasetReaders(path, options);
  if (options.limit !== undefined && options.limit < conversations.length)
    conversations = conversations.slice(0, options.limit);
  // Shuffled with dataloader_random_seed, as single-turn rows are; records name the dataset row.
  let rowOf: Uint32Array | undefined;
  if (conversations.length > 1) {
    const all = conversations;
    rowOf = sampleOrder(all.length, all.length, options.seed, true);
    conversations = Array.from(rowOf, (row) => all[row]);
  }
  const samples = conversations.map((c): Sample => {
    const first = c.turns[0].messages[0];
    return { prompt: typeof first.content === 'string' ? first.content : '' };
  });
  return { conversations, samples, source: path, rows: samples.length, rowOf };
}

/** .json / .jsonl / .ndjson are read here (all three row shapes); other formats by dataset/ readers. */
function readOwnFormat(path: string, format: string | undefined): boolean {
  const ext = format !== undefined ? '.' + format.replace(/^\./, '').toLowerCase() : extname(path).toLowerCase();
  return ext === '.json' || ext === '.jsonl' || ext === '.ndjson';
}

/** CSV, Parquet, save_to_disk, …: each row's whole conversation (`turns`, else `messages`, else the prompt). */
async function viaDatasetReaders(
  path: string,
  options: Pick<LoadDatasetOptions, 'seed' | 'format' | 'limit'>,
): Promise<Conversation[]> {
  const { samples } = await loadDataset(path, { syntheticCount: 0, seed: options.seed, format: options.format });
  return samples
    .map((sample, i) => {
      const turns = (sample as Sample & { turns?: WireMessage[] }).turns;
      const messages: readonly WireMessage[] = turns ??
        (sample.messages as WireMessage[] | undefined) ?? [{ role: 'user', content: sample.prompt }];
      return conversationFromMessages(messages, String(i + 1), `${path}: row ${i + 1}`);
    })
    .filter((c) => c.turns.length > 0);
}

/** Checks that --multi-turn can run with these settings (exit 2 naming the flag otherwise). */
function checkSettings(s: BenchmarkSettings): void {
  const fail = (message: string) => {
    throw new BadInputError(ErrorCode.invalidFlag, message);
  };
  if (s.mode !== 'online') fail('--multi-turn: only for online runs (benchmark online --concurrency N)');
  if (s.loadPattern !== 'concurrency')
    fail('--multi-turn: needs --concurrency N (the number of conversations active at once)');
  if (s.apiType !== 'chat')
    fail('--multi-turn: needs the chat API (--api-type openai): a turn carries its history as messages');
}

/** Give each shard plan its conversations and sessions (a single-turn dataset: nothing to do). */
export function attachConversations(
  plans: ShardPlan[],
  dataset: LoadedDataset | ConversationDataset,
  settings: BenchmarkSettings,
  input: BenchmarkSettingsInput,
): void {
  if (!('conversations' in dataset)) return;
  checkSettings(settings);
  const all = dataset.conversations;
  const n = plans.length;
  const sessions = settings.numConversations ?? all.length;
  const partitioned = all.length >= n;
  for (const plan of plans) {
    const i = plan.shardIndex;
    const rows: number[] = [];
    if (partitioned) for (let row = i; row < all.length; row += n) rows.push(row);
    // Fewer conversations than shards: every shard has them all, each starting at another one.
    else for (let k = 0; k < all.length; k++) rows.push((k + i) % all.length);
    plan.conversations = {
      conversations: rows.map((row) => all[row]),
      rows: dataset.rowOf === undefined ? rows : rows.map((row) => dataset.rowOf![row]),
      sessions: Math.floor(sessions / n) + (i < sessions % n ? 1 : 0),
      history: settings.multiTurnHistory,
      thinkTimeMs: settings.thinkTime,
      sessionHeader: settings.sessionHeader,
    };
    plan.captureText = settings.multiTurnHistory === 'model' || plan.captureText;
    if (input.numSamples === undefined) plan.maxRequests = Infinity;
    if (input.duration === undefined || input.duration === 0) {
      plan.durationNs = Infinity;
      plan.drainTimeoutMs = Infinity;
    }
  }
}

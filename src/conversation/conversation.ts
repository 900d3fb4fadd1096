/**
 * A multi-turn conversation (issue 8, item 4): what one session sends, turn by turn. Turn k + 1 is
 * sent when turn k's answer is complete, with the whole history before it. Readers (ShareGPT
 * multi-turn, MLPerf Endpoints' agentic rows, OpenAI `messages` rows) all produce this shape.
 */

/** One chat message as sent: role and content, plus whatever else the dataset gave (tool_call_id, tool_calls, name). */
export interface WireMessage {
  role: string;
  content: string | null;
  [field: string]: unknown;
}

export interface ConversationTurn {
  /** What the client sends this turn: one user message, or tool results. */
  messages: WireMessage[];
  /** The dataset's answer to this turn (sent as history with `--multi-turn-history dataset`), if it has one. */
  answer?: WireMessage;
  /** Per-turn output cap from the dataset (max_new_tokens / max_completion_tokens), else the run's. */
  maxOutputTokens?: number;
}

export interface Conversation {
  /** The dataset's conversation id (or its row number); sent in the session header. */
  id: string;
  /** A system prompt that opens the history, if any. */
  system?: string;
  turns: ConversationTurn[];
}

/** Which answer goes into the history of later turns. */
export type HistorySource = 'model' | 'dataset';

/** What each shard needs to run conversations (plain data: it crosses to the shard process). */
export interface ConversationShardPlan {
  /** This shard's conversations (rows shardIndex, shardIndex + shardCount, … of the run's order). */
  conversations: Conversation[];
  /** Dataset row of conversations[k] (for records' sampleIndex). */
  rows: number[];
  /** Sessions this shard starts (conversations repeat, each repeat a new session id, when above their count). */
  sessions: number;
  history: HistorySource;
  /** Pause between a turn's answer and the next turn, ms. */
  thinkTimeMs: number;
  /** Header carrying the session id on every request ('' = none). */
  sessionHeader: string;
}

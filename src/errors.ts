/**
 * Every error a user can see, in one registry: a stable code (for scripts and docs/errors.md), the
 * exit code it ends the program with, what it means and what to do. Throw sites name a code from
 * `ErrorCode` and write the message with the specifics (the flag, the file:line, the path); the
 * class follows from the code's exit code, so a bad-input code cannot exit 4 by mistake (modelled
 * on fastify's lib/errors.js and k6's errext/exitcodes). Per-request outcomes are not here: they
 * are RequestErrorCode in src/record/request-record.ts.
 */

export const ExitCode = {
  ok: 0,
  /** Generic crash (a bug): never used on purpose. */
  internal: 1,
  /** Bad input: flags, config, dataset, the report directory. */
  badInput: 2,
  /** The endpoint could not be reached before the run started. */
  unreachable: 3,
  /** The run started but failed (e.g. every request failed, a shard died, the report could not be written). */
  runFailed: 4,
  /** The run completed and its report is written, but a run SLO (`--slo 'p99(ttft)<=500ms'`) failed: k6's code for failed thresholds. A sweep: a step failed one (--find-max-goodput: no rate passed). */
  sloFailed: 99,
  /** Interrupted by Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** What each exit code means, as the README's exit-code table says it (a test holds them equal). */
export const EXIT_CODE_MEANINGS: Record<ExitCode, string> = {
  [ExitCode.ok]: 'the run completed (individual failed requests are in the report)',
  [ExitCode.internal]: 'an internal error (a bug): the message has a stack trace; please report it',
  [ExitCode.badInput]:
    'bad input: a flag, a config value, the dataset or the report directory (the message names the flag, path or `file:line`)',
  [ExitCode.unreachable]: 'an endpoint was unreachable before the run started',
  [ExitCode.runFailed]:
    'the run failed: a shard died, an endpoint was down longer than `--endpoint-down-timeout`, every request failed, errors passed `--max-errors`/`--max-error-rate`, or the report could not be written (the summary is printed first); probe: some request failed',
  [ExitCode.sloFailed]:
    "the run completed and wrote its report, but a run SLO (`--slo 'p99(ttft)<=500ms'`) failed (the same code as k6 for failed thresholds); a sweep: a step failed a percentile SLO (with `--find-max-goodput`: no rate tried passed)",
  [ExitCode.interrupted]: 'interrupted with Ctrl-C after writing a partial report',
};

interface ErrorSpec {
  readonly code: string;
  readonly exit: ExitCode;
  /** What happened, in a few words. */
  readonly meaning: string;
  /** What the user should do. */
  readonly action: string;
}

const REGISTRY = {
  // --- flags and settings (exit 2) ---
  invalidFlag: {
    code: 'invalid_flag',
    exit: ExitCode.badInput,
    meaning: 'a flag (or config key) has a value that is not allowed; the message names the flag',
    action: 'fix the value as the message says; `--help` lists every flag with its default',
  },
  invalidConfig: {
    code: 'invalid_config',
    exit: ExitCode.badInput,
    meaning:
      'a config file value is not allowed (wrong type, out of range, a pattern that needs a key it lacks); the message names file:line and the key path',
    action: 'fix the value at that line; `llm-loadgen validate -c FILE` checks a file without running it',
  },
  configUnknownKey: {
    code: 'config_unknown_key',
    exit: ExitCode.badInput,
    meaning:
      "a config file has a key that is neither llm-loadgen's nor MLPerf Endpoints'; the message names file:line, the key path and the closest known key",
    action: 'fix the spelling (the message suggests one) or remove the key; `llm-loadgen init` writes every key',
  },
  configYamlSyntax: {
    code: 'config_yaml_syntax',
    exit: ExitCode.badInput,
    meaning: 'the config file is not valid YAML (or repeats a key); the message names file:line',
    action: 'fix the YAML at that line',
  },
  configEnvMissing: {
    code: 'config_env_missing',
    exit: ExitCode.badInput,
    meaning: 'a `${VAR}` in the config file names an environment variable that is not set and has no default',
    action: 'set the variable, or write `${VAR:-default}`',
  },
  configInvalid: {
    code: 'config_invalid',
    exit: ExitCode.badInput,
    meaning: 'the config file has the wrong shape at a key (a list where a mapping belongs, an empty file)',
    action: 'write the key as `llm-loadgen init` does',
  },
  configTypeUnsupported: {
    code: 'config_type_unsupported',
    exit: ExitCode.badInput,
    meaning:
      'the config file is `type: submission`: submission runs (a ruleset and its compliance checks) are not supported',
    action: 'use `type: offline`, `type: online` or `type: eval`',
  },
  configUnreadable: {
    code: 'config_unreadable',
    exit: ExitCode.badInput,
    meaning: 'the file given to `-c/--config` cannot be read',
    action: 'check the path and its permissions',
  },
  flagGivenTwice: {
    code: 'flag_given_twice',
    exit: ExitCode.badInput,
    meaning: 'two names of one option were given (e.g. `--concurrency` and `--target-concurrency`)',
    action: 'give one of them',
  },
  initOutputUnwritable: {
    code: 'init_output_unwritable',
    exit: ExitCode.badInput,
    meaning: '`init --output FILE` cannot write the file (it exists, or the directory is not writable)',
    action: 'pick a new file name, or remove the old file',
  },
  invalidHeader: {
    code: 'invalid_header',
    exit: ExitCode.badInput,
    meaning: 'a `--header` is not `Name: value`, or it names a header the client sets itself',
    action: 'write it as `--header "X-Name: value"`; Host, Content-Length and Content-Type are set by llm-loadgen',
  },
  maxConnectionsOverBudget: {
    code: 'max_connections_over_budget',
    exit: ExitCode.badInput,
    meaning: '`--max-connections` is more than this host can open to these endpoints (local ports × destinations)',
    action:
      'lower it, or raise the budget: more `--source-ips`, more endpoints, or a wider net.ipv4.ip_local_port_range',
  },
  maxConnectionsTooSmall: {
    code: 'max_connections_too_small',
    exit: ExitCode.badInput,
    meaning: '`--max-connections` is fewer than the endpoints: each needs at least one connection',
    action: 'raise `--max-connections` to at least the number of endpoints, or use -1 (auto)',
  },
  sourceIpInvalid: {
    code: 'source_ip_invalid',
    exit: ExitCode.badInput,
    meaning: 'a `--source-ips` entry is not an IP address, or is the wildcard address',
    action: 'give local addresses such as 127.0.0.2,127.0.0.3, or leave `--source-ips` out',
  },
  sourceIpFamily: {
    code: 'source_ip_family',
    exit: ExitCode.badInput,
    meaning: 'a `--source-ips` address is IPv4 and the endpoints IPv6 (or the other way round)',
    action: 'give source addresses of the endpoints’ family',
  },
  sourceIpNotLocal: {
    code: 'source_ip_not_local',
    exit: ExitCode.badInput,
    meaning: 'a `--source-ips` address is not an address of this host',
    action: 'add it to an interface first (on Linux all of 127.0.0.0/8 is local), or remove it',
  },
  syntheticOptionInvalid: {
    code: 'synthetic_option_invalid',
    exit: ExitCode.badInput,
    meaning:
      'an option of the synthetic dataset is out of range (`synthetic:input=N,…`: the message names the option and what it takes)',
    action: 'fix the option as the message says, e.g. `synthetic:input=1024,output=256,range=0.1,prefix=512,n=1000`',
  },
  tokenizerInvalid: {
    code: 'tokenizer_invalid',
    exit: ExitCode.badInput,
    meaning:
      '`--tokenizer PATH` is not a readable tokenizer.json (or a directory with one) that @huggingface/tokenizers loads, or its chat template does not parse',
    action: "give the model's tokenizer.json or its directory (as saved by transformers), or `--tokenizer server`",
  },
  tokenizeUnsupported: {
    code: 'tokenize_unsupported',
    exit: ExitCode.badInput,
    meaning: "`--tokenizer server`: the endpoint has no /tokenize in vLLM's, SGLang's or llama.cpp's shape",
    action: 'give `--tokenizer PATH` (a tokenizer.json or model directory) instead',
  },
  portInUse: {
    code: 'port_in_use',
    exit: ExitCode.badInput,
    meaning: '`serve`: the port is already in use',
    action: 'pick another `--port` (0 picks a free one)',
  },
  portNotPermitted: {
    code: 'port_not_permitted',
    exit: ExitCode.badInput,
    meaning: '`serve`: not allowed to listen on that port',
    action: 'pick a `--port` above 1023',
  },
  badHost: {
    code: 'bad_host',
    exit: ExitCode.badInput,
    meaning: '`serve`: `--host` is not an address of this machine',
    action: 'give an address of this machine, e.g. 127.0.0.1',
  },

  // --- endpoints (exit 2 for the flag, 3 when unreachable) ---
  endpointMissing: {
    code: 'endpoint_missing',
    exit: ExitCode.badInput,
    meaning: 'no `--endpoints` given',
    action: 'give the base URL of an OpenAI-compatible server, e.g. `--endpoints http://127.0.0.1:8000`',
  },
  endpointEmpty: {
    code: 'endpoint_empty',
    exit: ExitCode.badInput,
    meaning: 'an `--endpoints` entry is empty (e.g. a trailing comma)',
    action: 'remove the empty entry',
  },
  endpointInvalid: {
    code: 'endpoint_invalid',
    exit: ExitCode.badInput,
    meaning: 'an `--endpoints` entry is not a URL',
    action: 'give base URLs like http://127.0.0.1:8000',
  },
  endpointScheme: {
    code: 'endpoint_scheme',
    exit: ExitCode.badInput,
    meaning: 'an `--endpoints` URL uses a scheme other than http:// or https://',
    action: 'use http:// or https://',
  },
  endpointDns: {
    code: 'endpoint_dns',
    exit: ExitCode.unreachable,
    meaning: "an endpoint's host name does not resolve",
    action: 'check the host name in `--endpoints` and this host’s DNS',
  },
  endpointUnreachable: {
    code: 'endpoint_unreachable',
    exit: ExitCode.unreachable,
    meaning: 'an endpoint refused or did not accept a TCP connection before the run',
    action: 'start the server, or fix the host and port in `--endpoints`; `llm-loadgen probe` diagnoses further',
  },
  endpointTlsUntrusted: {
    code: 'endpoint_tls_untrusted',
    exit: ExitCode.unreachable,
    meaning:
      "an https endpoint's certificate failed verification before the run (no trusted CA signed it, wrong host name, or expired)",
    action:
      'pass `--ca-file` with the CA (PEM) that signed it, use the host name it was issued for, or `--insecure` to skip verification',
  },
  caFileInvalid: {
    code: 'ca_file_invalid',
    exit: ExitCode.badInput,
    meaning: 'the `--ca-file` cannot be read or holds no valid PEM certificate',
    action: 'give the path of the CA certificate in PEM (-----BEGIN CERTIFICATE-----)',
  },

  // --- dataset (exit 2; the message names file:line) ---
  datasetNotFound: {
    code: 'dataset_not_found',
    exit: ExitCode.badInput,
    meaning: 'the `--dataset` file does not exist',
    action: 'check the path (relative paths start from the current directory)',
  },
  datasetUnreadable: {
    code: 'dataset_unreadable',
    exit: ExitCode.badInput,
    meaning: 'the `--dataset` path cannot be read, or is a directory that is not a Hugging Face `save_to_disk` dataset',
    action: 'give the path of a readable dataset file or `save_to_disk` directory; check its permissions',
  },
  datasetFormatUnsupported: {
    code: 'dataset_format_unsupported',
    exit: ExitCode.badInput,
    meaning: 'the dataset file has an extension other than .jsonl, .ndjson, .json, .csv, .parquet or .arrow',
    action: 'convert or rename the file, or say its format with `format=`',
  },
  datasetMalformedFile: {
    code: 'dataset_malformed_file',
    exit: ExitCode.badInput,
    meaning: 'a CSV, Parquet or Arrow dataset cannot be parsed (the message names the file and line or row)',
    action: 'fix or re-export the file; `--skip-bad-rows` skips rows it can, not a broken file',
  },
  datasetInvalidConversation: {
    code: 'dataset_invalid_conversation',
    exit: ExitCode.badInput,
    meaning: "a ShareGPT row's `conversations` is not an array of {from, value} with a human turn",
    action: 'fix the turn the error names (from: human, gpt, system, …; value: a string)',
  },
  datasetEmpty: {
    code: 'dataset_empty',
    exit: ExitCode.badInput,
    meaning: 'the dataset has no rows',
    action: 'add rows, or run without `--dataset` to use synthetic prompts',
  },
  datasetInvalidJson: {
    code: 'dataset_invalid_json',
    exit: ExitCode.badInput,
    meaning: 'a dataset line (.jsonl) or the file (.json) is not valid JSON',
    action: 'fix the line the message names; a file with one object per line needs a .jsonl extension',
  },
  datasetJsonNotArray: {
    code: 'dataset_json_not_array',
    exit: ExitCode.badInput,
    meaning: 'a .json dataset is not one top-level array of row objects',
    action: 'wrap the rows in [...], or write one object per line in a .jsonl file',
  },
  datasetRowNotObject: {
    code: 'dataset_row_not_object',
    exit: ExitCode.badInput,
    meaning: 'a dataset row is not a JSON object',
    action: 'make every row an object with a prompt column',
  },
  datasetNoPromptColumn: {
    code: 'dataset_no_prompt_column',
    exit: ExitCode.badInput,
    meaning: 'a dataset row has none of the prompt columns',
    action:
      'add one of prompt, user_prompt, question, input, input_text, problem, query, text_input, messages or conversations, or name the column with parser.prompt=COL',
  },
  datasetInvalidPrompt: {
    code: 'dataset_invalid_prompt',
    exit: ExitCode.badInput,
    meaning: "a row's prompt column is null or not a string",
    action: 'give every row a prompt string, or remove the row',
  },
  datasetInvalidMessages: {
    code: 'dataset_invalid_messages',
    exit: ExitCode.badInput,
    meaning: "a row's messages column is not an array of {role, content} with text content",
    action: 'fix the message the error names; only text parts are supported',
  },
  datasetInvalidOutputCap: {
    code: 'dataset_invalid_output_cap',
    exit: ExitCode.badInput,
    meaning: "a row's max_tokens / max_output_tokens / output_len is not a positive integer",
    action: 'fix the value, or use null for no cap',
  },
  traceFileInvalid: {
    code: 'trace_file_invalid',
    exit: ExitCode.badInput,
    meaning:
      'the `--trace` file cannot be read, is empty, or has a line that is neither a send time in seconds nor a JSON object with a numeric `timestamp` (ms)',
    action:
      'fix the line the message names: one number per line (seconds), or Mooncake JSONL `{"timestamp": ms, "input_length": n, "output_length": n}`',
  },
  conversationInvalid: {
    code: 'dataset_conversation_invalid',
    exit: ExitCode.badInput,
    meaning:
      'a --multi-turn dataset row is not a conversation, or its turns are out of order or its roles out of sequence',
    action:
      'fix the row the message names (turns 1…N; user → assistant → user, tools between); docs/multi-turn.md has the formats',
  },
  datasetNoGroundTruth: {
    code: 'dataset_no_ground_truth',
    exit: ExitCode.badInput,
    meaning: "an accuracy dataset's row has no answer in its ground-truth column",
    action: 'name the answer column with accuracy_config.ground_truth (ground_truth= in --dataset), or fix the row',
  },
  accuracyConfigInvalid: {
    code: 'accuracy_config_invalid',
    exit: ExitCode.badInput,
    meaning: 'an accuracy dataset names an eval_method or extractor llm-loadgen does not have, or a bad regex: pattern',
    action: 'use a name the message lists (docs/accuracy.md describes each)',
  },

  // --- the report directory ---
  reportDirUnusable: {
    code: 'report_dir_unusable',
    exit: ExitCode.badInput,
    meaning: 'the report directory cannot be created or written (read-only, permission denied, a file in the way)',
    action: 'pick another `--report-dir`, or fix its permissions',
  },
  reportDirNotEmpty: {
    code: 'report_dir_not_empty',
    exit: ExitCode.badInput,
    meaning: '`--report-dir` already holds files, which a new run would mix with its own',
    action: 'pick an empty or new directory, or add `--overwrite` to replace the earlier report',
  },
  reportWriteFailed: {
    code: 'report_write_failed',
    exit: ExitCode.runFailed,
    meaning: 'the run finished but a report file could not be written (e.g. the disk is full); the summary was printed',
    action: 'free space or pick another `--report-dir`, and run again; files already written are complete',
  },

  // --- the results database (issue 10) ---
  resultsDbUnusable: {
    code: 'results_db_unusable',
    exit: ExitCode.badInput,
    meaning:
      'the results database (`--results-db`, default results/llm-loadgen.duckdb) cannot be opened: not a DuckDB file, another version of its tables, or in use by another llm-loadgen process',
    action:
      'wait for the other run to end, or give this run its own `--results-db PATH`; a file from another llm-loadgen version needs a new path',
  },
  resultsDbCorrupt: {
    code: 'results_db_corrupt',
    exit: ExitCode.badInput,
    meaning:
      'the results database file is damaged: DuckDB found a block whose checksum does not match (a crash or a kill while it was writing a checkpoint, or the disk); `runs`, `report`, `export` and `compare` cannot read it',
    action:
      'move the file aside (`mv FILE FILE.corrupt`) and run again: a new one is made; a benchmark run meanwhile stores itself in a database of its own in its report directory, and report directories are unaffected',
  },
  runNotFound: {
    code: 'run_not_found',
    exit: ExitCode.badInput,
    meaning: 'no stored run (or more than one) matches the RUN given to `report`, `export` or `compare`',
    action:
      '`llm-loadgen runs` lists the stored runs: give an id (or a unique prefix of one), a report directory, or `latest`',
  },

  // --- multi-host runs (issue 12) ---
  hostsDisagree: {
    code: 'hosts_disagree',
    exit: ExitCode.badInput,
    meaning:
      'the hosts of a multi-host run were not given the same run (N of --shard i/N, --workers, seeds, dataset, load pattern, rate or concurrency): at a start barrier host 0 refuses to start, and `merge` refuses to merge; the message names what differs on which host',
    action:
      'give every host the same options (one config file for all), then run again; `--workers` too when the machines differ',
  },

  // --- the run (exit 4) ---
  runFailed: {
    code: 'run_failed',
    exit: ExitCode.runFailed,
    meaning: 'a shard process failed or died during the run; the records it sent are kept in the report',
    action: 'read the message; if it is not about your input, it is a bug: please report it',
  },
  endpointDown: {
    code: 'endpoint_down',
    exit: ExitCode.runFailed,
    meaning:
      'every connect to an endpoint failed, with no connection to it open, for longer than `--endpoint-down-timeout`: the run stopped (the message names the endpoint and since when); the records so far are in the report',
    action:
      'check that the server is up and listening at that address, or raise `--endpoint-down-timeout` (0 = never stop)',
  },
  allRequestsFailed: {
    code: 'all_requests_failed',
    exit: ExitCode.runFailed,
    meaning: 'the run ended and not one request completed',
    action: 'see the errors in report.txt; `llm-loadgen probe` checks the endpoint, model and key',
  },
  errorLimitReached: {
    code: 'error_limit_reached',
    exit: ExitCode.runFailed,
    meaning:
      'failed requests passed `--max-errors` or `--max-error-rate`: the run stopped early (the message says which limit, and the counts); the records so far are in the report',
    action: 'see the errors in report.txt and fix their cause, or raise the limit',
  },

  // --- SLOs (exit 99) ---
  sloFailed: {
    code: 'slo_failed',
    exit: ExitCode.sloFailed,
    meaning:
      "the run completed, but a run SLO (`--slo 'p99(ttft)<=500ms'`) did not hold; the message and report.txt list each check with its measured value",
    action:
      'the server missed its objective at this load: lower the load, or change the server; the report is complete',
  },
} as const satisfies Record<string, ErrorSpec>;

type Registry = typeof REGISTRY;
type Name = keyof Registry;

/** Every run-level error code, by name: `ErrorCode.invalidFlag` is 'invalid_flag'. */
export const ErrorCode = Object.fromEntries(Object.entries(REGISTRY).map(([name, spec]) => [name, spec.code])) as {
  readonly [K in Name]: Registry[K]['code'];
};
export type ErrorCode = Registry[Name]['code'];

/** The codes that end the program with exit code E. */
type CodeWithExit<E extends ExitCode> = {
  [K in Name]: Registry[K]['exit'] extends E ? Registry[K]['code'] : never;
}[Name];
export type BadInputCode = CodeWithExit<typeof ExitCode.badInput>;
export type UnreachableCode = CodeWithExit<typeof ExitCode.unreachable>;
export type RunFailedCode = CodeWithExit<typeof ExitCode.runFailed>;
export type SloFailedCode = CodeWithExit<typeof ExitCode.sloFailed>;

/** Every code with its exit code, meaning and action (docs/errors.md lists exactly these). */
export const ERROR_CODES: readonly ErrorSpec[] = Object.values(REGISTRY);

export class LoadgenError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  constructor(code: ErrorCode, message: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A flag, config key, dataset or report directory is wrong. The message names the flag, path or file:line. */
export class BadInputError extends LoadgenError {
  constructor(code: BadInputCode, message: string, options?: { cause?: unknown }) {
    super(code, message, ExitCode.badInput, options);
  }
}

/** The endpoint could not be reached (or does not speak the API) before any load was sent. */
export class EndpointUnreachableError extends LoadgenError {
  constructor(code: UnreachableCode, message: string, options?: { cause?: unknown }) {
    super(code, message, ExitCode.unreachable, options);
  }
}

/** The run started but could not produce a valid result (or could not write it). */
export class RunFailedError extends LoadgenError {
  constructor(code: RunFailedCode, message: string, options?: { cause?: unknown }) {
    super(code, message, ExitCode.runFailed, options);
  }
}

/** A run SLO failed: the report is complete, the objective was missed. */
export class SloFailedError extends LoadgenError {
  constructor(code: SloFailedCode, message: string) {
    super(code, message, ExitCode.sloFailed);
  }
}

/** `error [code]: message`, the one format every user-facing error is printed in. */
export function formatError(err: LoadgenError): string {
  return `error [${err.code}]: ${err.message}`;
}

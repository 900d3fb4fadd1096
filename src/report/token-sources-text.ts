/**
 * The lines under report.txt's token table: where ISL and OSL came from, and how far the server's
 * usage and the tokenizer disagree when both exist (metrics/token-counts.ts).
 */
import type { TokenCountsSummary } from '../metrics/token-counts.js';

export function formatTokenSources(counts: TokenCountsSummary): string[] {
  const i = counts.input.sources;
  const o = counts.output.sources;
  const tokenizer = counts.input.tokenizer === null ? '' : ` (${counts.input.tokenizer})`;
  const lines = [
    `ISL source: ${i.usage} server usage, ${i.tokenizer} tokenizer${tokenizer}, ${i.none} not measured`,
    `OSL source: ${o.usage} server usage, ${o.chunks} chunk count, ${o.none} not measured`,
  ];
  const d = counts.input.usage_vs_tokenizer;
  if (d !== null) {
    lines.push(
      `ISL usage vs tokenizer: ${d.equal} of ${d.compared} equal, tokenizer - usage mean ` +
        `${signed(d.mean_pct)} %, max |diff| ${d.max_abs_pct.toFixed(2)} %`,
    );
  }
  const w = counts.synthetic;
  if (w !== null) {
    const range = w.range > 0 ? ` +-${(w.range * 100).toFixed(0)} %` : '';
    const prefix = w.prefix > 0 ? `, shared prefix ${w.prefix}` : '';
    const forced = w.output_fields.length > 0 ? ` (${w.output_fields.join(', ')} sent)` : '';
    const output = w.output !== null ? `, output ${w.output}${forced}` : '';
    const exact = w.exact ? 'sized with the tokenizer' : 'approximate: sized in words';
    lines.push(`synthetic workload: input ${w.input}${range}${prefix}${output} tokens; ${exact}`);
  }
  return lines;
}

function signed(pct: number): string {
  return (pct > 0 ? '+' : '') + pct.toFixed(2);
}

/**
 * The accuracy tables of report.html and the compare page: per dataset the score with its 95 %
 * interval, the answers and what became of them (scored, failed, unreadable, cut at max tokens),
 * the per-repeat scores; on the compare page each run's score, the change in points and whether it
 * is beyond sampling noise. Dataset names come from the config: escaped like every outside string.
 */
import type { AccuracyResult } from '../../accuracy/accuracy-result.js';
import type { AccuracyComparison } from '../../store/accuracy-compare.js';
import { escapeHtml } from './html-escape.js';

function pct(x: number | null): string {
  return x === null ? 'n/a' : `${(x * 100).toFixed(1)} %`;
}

function signedPoints(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}`;
}

const HEAD = [
  'dataset',
  'score',
  '95 % CI',
  'scored by',
  'answers',
  'scored',
  'failed',
  'unreadable',
  'cut at max tokens',
  'per repeat',
];

/** report.html's accuracy section; '' for a run without an accuracy phase. */
export function accuracySectionHtml(results: readonly AccuracyResult[]): string {
  if (results.length === 0) return '';
  const rows = results.map((r) => {
    const ci = r.ci95 === null ? 'n/a' : `${pct(r.ci95.low)} – ${pct(r.ci95.high)} (${r.ci95.method})`;
    const cells = [
      `<td class="text">${escapeHtml(r.dataset_name)}${r.complete ? '' : ' (incomplete)'}</td>`,
      `<td class="score">${pct(r.score)}</td>`,
      `<td>${escapeHtml(ci)}</td>`,
      `<td class="text">${escapeHtml(`${r.eval_method} with ${r.extractor}`)}</td>`,
      `<td>${r.unit_samples} × ${r.num_repeats} = ${r.total_samples}</td>`,
      `<td>${r.n_scored}</td>`,
      `<td>${r.failures}</td>`,
      `<td>${r.extractor_misses}</td>`,
      `<td>${r.truncated}</td>`,
      `<td>${r.per_repeat_scores.map(pct).join(', ')}</td>`,
    ];
    return `<tr data-dataset="${escapeHtml(r.dataset_name)}">${cells.join('')}</tr>`;
  });
  return [
    '<section id="accuracy">',
    '<h2>Accuracy</h2>',
    '<p class="muted">Every issued answer counts: a failed request or an answer the extractor cannot read scores 0. ' +
      "The interval is Wilson's for right/wrong scores, Student's t for graded ones. The accuracy phase's requests are not in the latency figures.</p>",
    `<table class="data accuracy"><tr>${HEAD.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>${rows.join('')}</table>`,
    '</section>',
  ].join('\n');
}

/** The compare page's accuracy table; '' when no run has an accuracy phase. */
export function accuracyCompareHtml(rows: readonly AccuracyComparison[], labels: readonly string[]): string {
  if (rows.length === 0) return '';
  const head =
    '<tr><th>dataset</th>' +
    labels
      .map((l, i) => `<th>${escapeHtml(l)}</th>` + (i > 0 ? '<th>change</th><th>95 % CI of the change</th>' : ''))
      .join('') +
    '</tr>';
  const body = rows.map((r) => {
    let cells = `<td class="text">${escapeHtml(r.dataset)}</td>`;
    r.scores.forEach((s, i) => {
      cells += `<td>${pct(s)}</td>`;
      if (i === 0) return;
      const d = r.differences.find((x) => x.run === i);
      if (d === undefined) {
        cells += '<td>n/a</td><td>n/a</td>';
        return;
      }
      const verdict = d.significant ? 'beyond noise' : 'within noise';
      cells +=
        `<td class="${d.significant ? 'changed' : 'same'}">${signedPoints(d.difference)} pts, ${verdict}</td>` +
        `<td>${signedPoints(d.low)} to ${signedPoints(d.high)} pts (${d.method === 'newcombe' ? 'Newcombe' : 'Welch'})</td>`;
    });
    return `<tr data-dataset="${escapeHtml(r.dataset)}">${cells}</tr>`;
  });
  return [
    '<section id="accuracy">',
    '<h2>Accuracy</h2>',
    `<table class="data accuracy">${head}${body.join('')}</table>`,
    '<p class="muted">A change is beyond sampling noise when the 95 % interval of the difference excludes 0: Newcombe\'s hybrid score interval for right/wrong scores, Welch\'s t for graded ones.</p>',
    '</section>',
  ].join('\n');
}

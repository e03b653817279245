/**
 * The report as one HTML page that needs nothing else: styles inline, images as data: URIs, no script and
 * no link to anywhere, so it opens from a mail attachment. Metric names carry their glossary sentence as
 * a hover title, and the glossary closes the page.
 */
import { formatCount, formatNumber, formatShare } from './format.js';
import { GLOSSARY, type MetricName } from './glossary.js';
import type { ReportData, ReportFlow, ReportLayer, ReportPattern, ReportTriage } from './report.js';

/** The page's images as data: URIs; undefined where there is none. */
export interface ReportImages {
  /** A pattern's stored average image. */
  average(clusteringId: number, patternId: number): string | undefined;
  /** An input's thumbnail, for the triage list. */
  thumbnail(inputIndex: number): string | undefined;
  /** Why the triage list has no thumbnails (the dataset is not available), or null. */
  thumbnailsMissing: string | null;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

/** Text of a possibly missing value. */
const text = (value: string | null): string => (value === null ? '–' : escapeHtml(value));

/** A metric's name with its definition as the hover title. */
function metric(name: MetricName, shown: string = GLOSSARY[name].term): string {
  return `<abbr class="metric" data-metric="${name}" title="${escapeHtml(GLOSSARY[name].definition)}">${escapeHtml(shown)}</abbr>`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1f2328; margin: 0; background: #f5f6f8; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid #e1e4e8; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
.muted { color: #656d76; }
table { border-collapse: collapse; background: #fff; margin: 6px 0; }
th, td { border: 1px solid #e1e4e8; padding: 3px 8px; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
abbr.metric { text-decoration: underline dotted; cursor: help; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 8px; }
.card { background: #fff; border: 1px solid #e1e4e8; border-radius: 6px; padding: 8px; display: flex; gap: 8px; }
.card img { width: 64px; height: 64px; image-rendering: pixelated; border: 1px solid #e1e4e8; flex: none; }
.card .noimg { width: 64px; height: 64px; background: #eee; flex: none; }
.card .words { width: 88px; flex: none; list-style: none; margin: 0; padding: 2px 4px; font-size: 12px; border: 1px solid #e1e4e8; overflow: hidden; }
.card .words li { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.triage-table .text { display: block; max-width: 320px; font-size: 12px; }
.triage-table img { width: 32px; height: 32px; image-rendering: pixelated; display: block; }
.card h4 { margin: 0 0 2px; font-size: 13px; }
.facts { font-size: 12px; color: #656d76; }
.mix { list-style: none; margin: 4px 0 0; padding: 0; font-size: 12px; }
.mix li { display: flex; align-items: center; gap: 4px; }
.mix .bar { display: inline-block; height: 8px; background: #2f6fdd; border-radius: 2px; }
.mix .name { min-width: 70px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
dl.glossary dt { font-weight: 600; margin-top: 8px; }
dl.glossary dd { margin: 0; }
`;

function patternCard(layer: ReportLayer, p: ReportPattern, images: ReportImages): string {
  const image = images.average(layer.clusteringId, p.patternId);
  const picture =
    p.words !== null
      ? `<ul class="words" aria-label="distinctive words of pattern ${p.patternId}">${p.words.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`
      : image === undefined
        ? '<span class="noimg" aria-hidden="true"></span>'
        : `<img src="${image}" alt="average image of pattern ${p.patternId}">`;
  const total = p.labels.count.reduce((a, b) => a + b, 0) + p.other;
  const row = (name: string, count: number) =>
    `<li><span class="name">${name}</span><span class="bar" style="width:${Math.max(1, Math.round((count / Math.max(1, total)) * 80))}px"></span> ${formatShare(count / Math.max(1, total))}</li>`;
  const mix = [
    ...p.labels.label.map((label, k) => row(label === null ? 'unlabelled' : escapeHtml(label), p.labels.count[k]!)),
    ...(p.other > 0 ? [row('other', p.other)] : []),
  ].join('');
  return `<div class="card" data-pattern="${p.patternId}">${picture}<div>
<h4>Pattern ${p.patternId}</h4>
<div class="facts">${formatCount(p.size)} inputs · ${metric('persistence', 'persistence')} ${formatNumber(p.persistence)} · ${metric('purity', 'purity')} ${formatShare(p.labelPurity)}</div>
<ul class="mix" aria-label="label mix">${mix}</ul></div></div>`;
}

function layerSection(layer: ReportLayer, images: ReportImages): string {
  const shown =
    layer.patterns.length < layer.patternCount
      ? `the ${layer.patterns.length} of highest persistence`
      : `all ${layer.patternCount}`;
  return `<section class="layer" data-layer="${escapeHtml(layer.layer)}">
<h3>${escapeHtml(layer.layer)}</h3>
<p>${formatCount(layer.patternCount)} patterns · ${metric('coverage', 'coverage')} <span class="coverage">${formatShare(layer.coverage)}</span> (${formatCount(layer.inPattern)} of ${formatCount(layer.inputs)} inputs in a pattern) · ${shown} shown</p>
<div class="cards">${layer.patterns.map((p) => patternCard(layer, p, images)).join('\n')}</div>
</section>`;
}

function coverageTable(layers: readonly ReportLayer[]): string {
  const rows = layers
    .map(
      (l) =>
        `<tr data-layer="${escapeHtml(l.layer)}"><td>${escapeHtml(l.layer)}</td><td class="num">${formatCount(l.patternCount)}</td><td class="num">${formatCount(l.inPattern)}</td><td class="num">${formatCount(l.inputs - l.inPattern)}</td><td class="num">${formatShare(l.coverage)}</td></tr>`,
    )
    .join('\n');
  return `<table class="coverage-table"><thead><tr><th>Layer</th><th class="num">Patterns</th><th class="num">In a pattern</th><th class="num">Noise</th><th class="num">${metric('coverage')}</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

function flowSection(flow: ReportFlow): string {
  const links = flow.links
    .map(
      (l) =>
        `<tr><td>#${l.from}</td><td>#${l.to}</td><td class="num">${formatCount(l.count)}</td><td class="num">${formatShare(l.share)}</td><td class="num">${formatNumber(l.jaccard)}</td></tr>`,
    )
    .join('\n');
  const share = (count: number) => formatShare(flow.total === 0 ? 0 : count / flow.total);
  return `<section class="flow" data-from="${escapeHtml(flow.from)}" data-to="${escapeHtml(flow.to)}">
<h3>${escapeHtml(flow.from)} → ${escapeHtml(flow.to)}</h3>
<p>Of ${formatCount(flow.total)} inputs: ${formatCount(flow.patternToPattern)} (${share(flow.patternToPattern)}) go from a pattern to a pattern, ${formatCount(flow.patternToNoise)} (${share(flow.patternToNoise)}) from a pattern to noise, ${formatCount(flow.noiseToPattern)} (${share(flow.noiseToPattern)}) from noise to a pattern.</p>
${flow.links.length === 0 ? '' : `<table><thead><tr><th>From</th><th>To</th><th class="num">Inputs</th><th class="num">Share of from</th><th class="num">${metric('jaccard', 'Jaccard')}</th></tr></thead><tbody>${links}</tbody></table>`}
</section>`;
}

function triageSection(triage: ReportTriage | null, images: ReportImages): string {
  if (triage === null) {
    return '<p class="note" data-source="none">No saved triage in this run: <code>nap triage results.duckdb --save</code> ranks every labelled input as a label error (self-confidence, margin, a linear probe and kNN consensus); make the report again after it.</p>';
  }
  const note = `The saved triage (<code>nap triage --save</code>): every labelled input ranked by how likely its label is wrong, combining ${metric('selfConfidence', 'self-confidence')}, ${metric('margin', 'margin')}, ${metric('linearProbe', 'a linear probe')} and ${metric('knnConsensus', 'kNN consensus')}; the first ${triage.rows.length} of ${formatCount(triage.total)}.`;
  const rows = triage.rows
    .map(
      (row, k) =>
        `<tr data-input="${row.inputIndex}"><td class="num">${k + 1}</td><td>${row.text === null ? thumbnail(images, row.inputIndex) : inputText(row.text)}</td><td class="num">${row.inputIndex}</td><td>${text(row.path)}</td><td>${text(row.label)}</td><td>${text(row.suggested)}</td><td>${text(row.predictionLabel)}</td><td class="num">${formatNumber(row.score)}</td><td>${escapeHtml(row.reason)}</td></tr>`,
    )
    .join('\n');
  return `<p class="note" data-source="${triage.source}">${note}</p>
${images.thumbnailsMissing === null ? '' : `<p class="note muted">No thumbnails: ${escapeHtml(images.thumbnailsMissing)}</p>`}
<table class="triage-table"><thead><tr><th class="num">#</th><th>${triage.rows.some((row) => row.text !== null) ? 'Text' : 'Image'}</th><th class="num">Input</th><th>File</th><th>Label</th><th>Suggested</th><th>Prediction</th><th class="num">Score</th><th>Reason</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

/** Characters of an input's text the triage list shows. */
const TEXT_SHOWN = 160;

function inputText(value: string): string {
  const shown = value.length > TEXT_SHOWN ? `${value.slice(0, TEXT_SHOWN)}…` : value;
  return `<span class="text" title="${escapeHtml(value)}">${escapeHtml(shown)}</span>`;
}

function thumbnail(images: ReportImages, inputIndex: number): string {
  const uri = images.thumbnail(inputIndex);
  return uri === undefined ? '' : `<img src="${uri}" alt="input ${inputIndex}">`;
}

function glossarySection(): string {
  const entries = (Object.keys(GLOSSARY) as MetricName[])
    .map((name) => `<dt>${escapeHtml(GLOSSARY[name].term)}</dt><dd>${escapeHtml(GLOSSARY[name].definition)}</dd>`)
    .join('\n');
  return `<dl class="glossary">${entries}</dl>`;
}

/** The whole page. */
export function renderReportHtml(data: ReportData, images: ReportImages, generator: string): string {
  const { run } = data;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${escapeHtml(generator)}">
<title>${escapeHtml(run.name)} · nap report</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(run.name)}</h1>
<p class="muted">Run ${run.runId} · ${escapeHtml(run.status)} · ${formatCount(run.inputCount)} inputs · model ${escapeHtml(run.modelPath)} · data ${escapeHtml(run.datasetSpec)} · analyzed ${escapeHtml(run.createdAt)}</p>
<h2 id="coverage">Coverage by layer</h2>
${coverageTable(data.layers)}
<h2 id="patterns">Top patterns</h2>
<p class="muted">Each pattern's average image, size, ${metric('persistence', 'persistence')}, ${metric('purity', 'label purity')} and label mix.</p>
${data.layers.map((layer) => layerSection(layer, images)).join('\n')}
<h2 id="flow">Flow between layers</h2>
${data.flows.length === 0 ? '<p class="note">One layer with patterns: no flow.</p>' : data.flows.map(flowSection).join('\n')}
<h2 id="triage">Triage</h2>
${triageSection(data.triage, images)}
<h2 id="glossary">Glossary</h2>
${glossarySection()}
<p class="muted">Made by ${escapeHtml(generator)} from the results of run ${run.runId}.</p>
</main>
</body>
</html>
`;
}

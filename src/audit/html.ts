/**
 * The evidence of one run as one self-contained HTML page an auditor can open
 * offline and archive: no script, no external style, font or image (the page's
 * Content-Security-Policy forbids them), so what is read is what was written.
 * A summary per account × Region with every control's status, the targets
 * that could not be audited, then per account × Region every control's
 * status, each scanner's verdict and reason, and the evidence: trail, log
 * group, metric filter text, alarm, topic and its confirmed subscribers.
 * Every value from the audited accounts is escaped. Written in pieces
 * (prologue, one section per target, epilogue) so a report of any size can
 * be streamed.
 */
import { CisBenchmarkVersion } from '../catalog';
import { COMPLIANCE_STATUSES, ComplianceStatus, EvidenceFinding, EvidenceResource, EvidenceRun, EvidenceTarget, isConfirmed, requirementOf } from './findings';
import { CONTROL_ALERT_METADATA } from '../catalog/control-metadata';
import { scannerDisplayName } from '../scanners/rules';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STATUS_WORDS: Record<ComplianceStatus, string> = {
  PASSED: 'every selected scanner that checks the control passes it',
  WARNING: 'no scanner fails, but one passes only once an email or HTTP subscription is confirmed',
  FAILED: 'at least one selected scanner fails the control (the reason says what is missing)',
  NOT_AVAILABLE: 'no selected scanner checks the control, or the account and Region could not be audited',
};

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:88rem;padding:1rem 1.5rem;color:#1a1a1a;background:#fff;line-height:1.45}
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.3rem;margin-top:2rem;border-bottom:2px solid #444}h3{font-size:1.1rem;margin-top:1.5rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.92rem}caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border:1px solid #999;padding:.3rem .45rem;vertical-align:top;text-align:left}thead th{background:#e8e8e8}
dl.run{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem}dl.run dt{font-weight:600}dl.run dd{margin:0}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem;white-space:pre-wrap;word-break:break-all;background:#f3f3f3;padding:0 .15rem}
ul{margin:.2rem 0;padding-left:1.1rem}.ev dt{font-weight:600}.ev dd{margin:0 0 .3rem .6rem}
.s{font-weight:700;padding:0 .3rem;border-radius:3px;white-space:nowrap}
.s-FAILED,.s-FAIL{background:#fde2e1;color:#8a1414}.s-WARNING,.s-WARN{background:#fff1c2;color:#5c4300}
.s-PASSED,.s-PASS{background:#dcf3e0;color:#14532d}.s-NOT_AVAILABLE,.s-NOT_APPLICABLE,.s-NO_DATA{background:#ececec;color:#333}
@media print{body{max-width:none}section{break-inside:avoid-page}}
`;

function status(value: string, label = value): string {
  return `<span class="s s-${escapeHtml(value)}">${escapeHtml(label)}</span>`;
}

function targetLabel(t: { account?: string; region?: string; accountName?: string }): string {
  return `${t.account ?? 'unknown account'}${t.accountName ? ` (${t.accountName})` : ''} ${t.region ?? 'unknown Region'}`;
}

function targetResult(t: EvidenceTarget): string {
  if (!t.audited) return status('NOT_AVAILABLE', `NOT AUDITED (${t.error?.kind ?? 'ERROR'})`);
  if (t.counts.FAILED > 0) return status('FAILED');
  if (t.counts.WARNING > 0) return status('WARNING');
  if (t.counts.PASSED > 0) return status('PASSED');
  return status('NOT_AVAILABLE');
}

/** A control as the page lists it. */
export interface HtmlControl {
  readonly key: string;
  readonly recommendationId: string;
  readonly title: string;
  readonly requirement: string;
  readonly severity: string;
}

/**
 * What the page's head and summary need: the run without its findings, and
 * each target's status per control. A report of any size is written as
 * `htmlPrologue`, then `htmlTargetSection` per target, then `htmlEpilogue`,
 * so the findings never have to be in memory at once.
 */
export interface HtmlRunSummary extends Omit<EvidenceRun, 'findings'> {
  readonly controls: readonly HtmlControl[];
  /** Environment → control key → status. */
  readonly statuses: ReadonlyMap<string, ReadonlyMap<string, ComplianceStatus>>;
}

const SHORT: Record<ComplianceStatus, string> = { PASSED: 'pass', FAILED: 'FAIL', WARNING: 'warn', NOT_AVAILABLE: 'n/a' };

/** The page: head, summary, every target's controls, legend. */
export function runToHtml(run: EvidenceRun): string {
  const byTarget = new Map<string, EvidenceFinding[]>();
  for (const f of run.findings) byTarget.set(f.environment, [...byTarget.get(f.environment) ?? [], f]);
  const parts = [htmlPrologue(htmlSummaryOf(run))];
  for (const t of run.targets) parts.push(htmlTargetSection(t, byTarget.get(t.environment) ?? []));
  parts.push(htmlEpilogue(run));
  return parts.join('');
}

/** The summary of a run held in memory. */
export function htmlSummaryOf(run: EvidenceRun): HtmlRunSummary {
  const controls = new Map<string, HtmlControl>();
  const statuses = new Map<string, Map<string, ComplianceStatus>>();
  for (const f of run.findings) {
    if (!controls.has(f.controlKey)) controls.set(f.controlKey, controlOf(f));
    const m = statuses.get(f.environment) ?? new Map<string, ComplianceStatus>();
    m.set(f.controlKey, f.status);
    statuses.set(f.environment, m);
  }
  const { findings: _findings, ...rest } = run;
  return { ...rest, controls: [...controls.values()], statuses };
}

/** The controls of a benchmark version, as the page lists them. */
export function controlsOfVersion(version: string): HtmlControl[] {
  const v = CisBenchmarkVersion.of(version);
  return v.controls().map(c => {
    const d = c.definitionIn(v);
    return {
      key: c.key,
      recommendationId: d.recommendationId,
      title: d.title,
      requirement: requirementOf(v.version, d.recommendationId),
      severity: CONTROL_ALERT_METADATA[c.key]?.defaultSeverity ?? 'MEDIUM',
    };
  });
}

/** The control of a finding, as the page lists it. */
export function controlOf(f: EvidenceFinding): HtmlControl {
  return { key: f.controlKey, recommendationId: f.recommendationId, title: f.title, requirement: f.requirement, severity: f.severity };
}

/** From the doctype to the end of the summary and the list of targets not audited. */
export function htmlPrologue(run: HtmlRunSummary): string {
  const audited = run.targets.filter(t => t.audited).length;
  const out: string[] = [];
  out.push('<!DOCTYPE html>');
  out.push('<html lang="en">');
  out.push('<head>');
  out.push('<meta charset="utf-8">');
  out.push('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">');
  out.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  out.push(`<meta name="generator" content="${escapeHtml(`${run.tool.name} ${run.tool.version}`)}">`);
  out.push(`<title>CIS AWS Foundations Benchmark v${escapeHtml(run.benchmark)} monitoring evidence, ${escapeHtml(run.generatedAt)}</title>`);
  out.push(`<style>${STYLE}</style>`);
  out.push('</head>');
  out.push('<body>');
  out.push('<header>');
  out.push(`<h1>CIS AWS Foundations Benchmark v${escapeHtml(run.benchmark)}: monitoring evidence</h1>`);
  out.push('<dl class="run">');
  const facts: Array<[string, string, string]> = [
    ['benchmark', 'Benchmark', `CIS AWS Foundations Benchmark v${run.benchmark}, monitoring section (metric filters and alarms)`],
    ['generated-at', 'Time of the run', run.generatedAt],
    ['tool', 'Tool', `${run.tool.name} ${run.tool.version}`],
    ['scanners', 'Judged as', run.scanners.map(scannerDisplayName).join(', ')],
    ['source', 'Read from', run.source === 'live' ? 'the deployed accounts (AWS APIs)' : 'synthesized CloudFormation templates'],
    ['targets', 'Targets', `${run.targets.length} (account × Region), ${audited} audited, ${run.targets.length - audited} not audited`],
  ];
  if (run.organizationId) facts.splice(4, 0, ['organization', 'Organization', run.organizationId]);
  for (const [id, term, value] of facts) out.push(`<dt>${escapeHtml(term)}</dt><dd data-fact="${id}">${escapeHtml(value)}</dd>`);
  out.push('</dl>');
  out.push('</header>');
  out.push('<main>');

  out.push('<section aria-labelledby="summary">');
  out.push('<h2 id="summary">Summary per account and Region</h2>');
  out.push('<table data-table="summary">');
  out.push('<caption>Controls per status in each account and Region</caption>');
  out.push('<thead><tr><th scope="col">Account</th><th scope="col">Name</th><th scope="col">Region</th><th scope="col">Result</th>'
    + COMPLIANCE_STATUSES.map(s => `<th scope="col">${escapeHtml(s.replace('_', ' ').toLowerCase())}</th>`).join('') + '</tr></thead>');
  out.push('<tbody>');
  for (const t of run.targets) {
    out.push(`<tr data-environment="${escapeHtml(t.environment)}"><th scope="row"><a href="#${targetAnchor(t.environment)}">${escapeHtml(t.account ?? 'unknown')}</a></th><td>${escapeHtml(t.accountName ?? '')}</td>`
      + `<td>${escapeHtml(t.region ?? 'unknown')}</td><td data-result>${targetResult(t)}</td>`
      + COMPLIANCE_STATUSES.map(s => `<td data-count="${s}">${t.counts[s]}</td>`).join('') + '</tr>');
  }
  out.push('</tbody></table>');

  // The same targets × every control: one glance per control across the organization.
  out.push('<table data-table="matrix">');
  out.push('<caption>Status of each control in each account and Region (pass, FAIL, warn, n/a: not checked or not audited)</caption>');
  out.push('<thead><tr><th scope="col">Account and Region</th>'
    + run.controls.map(c => `<th scope="col"><abbr title="${escapeHtml(`${c.requirement} ${c.title}`)}">${escapeHtml(c.recommendationId)}</abbr></th>`).join('') + '</tr></thead>');
  out.push('<tbody>');
  for (const t of run.targets) {
    const m = run.statuses.get(t.environment);
    out.push(`<tr data-environment="${escapeHtml(t.environment)}"><th scope="row">${escapeHtml(targetLabel(t))}</th>`
      + run.controls.map(c => {
        const st = m?.get(c.key) ?? 'NOT_AVAILABLE';
        return `<td data-control="${escapeHtml(c.key)}">${status(st, SHORT[st])}</td>`;
      }).join('') + '</tr>');
  }
  out.push('</tbody></table>');
  out.push('</section>');

  const unaudited = run.targets.filter(t => !t.audited);
  if (unaudited.length) {
    out.push('<section aria-labelledby="not-audited">');
    out.push('<h2 id="not-audited">Not audited</h2>');
    out.push('<p>These targets could not be read, so none of their controls has evidence from this run.</p>');
    out.push('<ul>');
    for (const t of unaudited) out.push(`<li data-environment="${escapeHtml(t.environment)}"><strong>${escapeHtml(targetLabel(t))}</strong>: ${escapeHtml(t.error?.kind ?? 'ERROR')}: ${escapeHtml(t.error?.message ?? '')}</li>`);
    out.push('</ul>');
    out.push('</section>');
  }
  out.push('<section aria-labelledby="controls">');
  out.push('<h2 id="controls">Controls per account and Region</h2>');
  out.push(`<p>Per control: the status, each scanner's verdict and reason, and the evidence (trail, log group, metric filter text, alarm, topic and its confirmed subscribers). Severity per control: ${escapeHtml(run.controls.map(c => `${c.recommendationId} ${c.severity}`).join(', '))}.</p>`);
  return out.join('\n') + '\n';
}

function targetAnchor(environment: string): string {
  return `t-${environment.replace(/[^A-Za-z0-9-]/g, '-')}`;
}

/** One target's controls: status, verdicts and reasons, evidence. */
export function htmlTargetSection(t: EvidenceTarget, findings: readonly EvidenceFinding[]): string {
  const out: string[] = [];
  out.push(`<section aria-labelledby="${targetAnchor(t.environment)}" data-environment="${escapeHtml(t.environment)}">`);
  out.push(`<h3 id="${targetAnchor(t.environment)}">${escapeHtml(targetLabel(t))}</h3>`);
  if (t.description) out.push(`<p>Read: ${escapeHtml(t.description)}.</p>`);
  out.push('<table>');
  out.push(`<caption>${escapeHtml(targetLabel(t))}: status, verdicts and evidence per control</caption>`);
  out.push('<thead><tr><th scope="col">Control</th><th scope="col">Status</th><th scope="col">Verdict and reason per scanner</th><th scope="col">Evidence</th></tr></thead>');
  out.push('<tbody>');
  for (const f of findings) {
    out.push(`<tr data-finding="${escapeHtml(f.id)}" data-environment="${escapeHtml(f.environment)}" data-control="${escapeHtml(f.controlKey)}">`);
    out.push(`<th scope="row">${escapeHtml(f.recommendationId)} ${escapeHtml(f.title)}<br><code>${escapeHtml(f.controlKey)}</code></th>`);
    out.push(`<td data-status>${status(f.status)}</td>`);
    out.push('<td><ul>');
    if (f.verdicts.length === 0) out.push(`<li>${escapeHtml(f.statusReason)}</li>`);
    for (const v of f.verdicts) {
      out.push(`<li data-scanner="${escapeHtml(v.scanner)}">${escapeHtml(v.scannerName)}${v.check ? ` <code>${escapeHtml(v.check)}</code>` : ''}: `
        + `<span data-verdict>${status(v.status)}</span> ${escapeHtml(v.reasons.join(' '))}</li>`);
    }
    out.push('</ul></td>');
    out.push(`<td>${evidence(f.resources)}</td>`);
    out.push('</tr>');
  }
  out.push('</tbody></table>');
  if (t.summaries.length || t.unchecked.length || t.notes.length) {
    out.push('<ul>');
    for (const s of t.summaries) out.push(`<li>${escapeHtml(scannerDisplayName(s.scanner))} per-trail result ${status(s.status)}: ${escapeHtml(s.reasons.join(' '))}</li>`);
    for (const u of t.unchecked) out.push(`<li>Not checked (${escapeHtml(u.scanners.map(scannerDisplayName).join(', '))}; not counted as a failure): ${escapeHtml(u.condition)}</li>`);
    for (const n of t.notes) out.push(`<li>Note: ${escapeHtml(n)}</li>`);
    out.push('</ul>');
  }
  out.push('</section>');
  return out.join('\n') + '\n';
}

/** The legend and the end of the page. */
export function htmlEpilogue(run: Pick<EvidenceRun, 'tool' | 'generatedAt'>): string {
  const out: string[] = [];
  out.push('</section>');
  out.push('</main>');
  out.push('<footer>');
  out.push('<h2 id="legend">What the statuses mean</h2>');
  out.push('<dl class="run">');
  for (const s of COMPLIANCE_STATUSES) out.push(`<dt>${status(s)}</dt><dd>${escapeHtml(STATUS_WORDS[s])}</dd>`);
  out.push('</dl>');
  out.push(`<p>Scanner verdicts: PASS, FAIL, WARN (passes once a subscription is confirmed), NO_DATA (the scanner checks the control but gives no verdict for this account and Region), NOT_APPLICABLE (the scanner has no check for the control). Generated by ${escapeHtml(run.tool.name)} ${escapeHtml(run.tool.version)} at ${escapeHtml(run.generatedAt)}.</p>`);
  out.push('</footer>');
  out.push('</body>');
  out.push('</html>');
  return out.join('\n') + '\n';
}

/** The evidence cell: the trail, log group, filters with their text, alarms and topics with their subscribers. */
function evidence(resources: readonly EvidenceResource[]): string {
  const items: string[] = [];
  for (const r of resources) {
    switch (r.kind) {
      case 'metric filter':
        items.push(`<dt>Metric filter ${escapeHtml(r.name)}</dt><dd>on ${escapeHtml(r.details.LogGroupName)}, metric ${escapeHtml(r.details.Metric)}, passes ${escapeHtml(r.details.PatternPasses)}:<br><code>${escapeHtml(r.details.FilterPattern)}</code></dd>`);
        break;
      case 'alarm':
        items.push(`<dt>Alarm ${escapeHtml(r.name)}</dt><dd>on ${escapeHtml(r.details.Metric)}; actions ${escapeHtml(r.details.AlarmActions)}</dd>`);
        break;
      case 'SNS topic': {
        const subs = r.subscriptions ?? [];
        const confirmed = subs.filter(isConfirmed);
        const pending = subs.filter(s => !isConfirmed(s));
        const list = (xs: typeof subs) => xs.map(s => `${s.protocol} ${s.endpoint}`).join(', ');
        items.push(`<dt>SNS topic ${escapeHtml(r.id)}</dt><dd>${r.details.Subscriptions === 'not visible here' ? 'subscriptions not visible here' : `confirmed subscribers: ${confirmed.length ? escapeHtml(list(confirmed)) : 'none'}`}`
          + `${pending.length ? `; pending confirmation: ${escapeHtml(list(pending))}` : ''}${r.details.Exists === 'false' ? '; the topic does not exist' : ''}</dd>`);
        break;
      }
      case 'CloudTrail trail':
        items.push(`<dt>Trail ${escapeHtml(r.name)}</dt><dd>${escapeHtml(Object.entries(r.details).map(([k, v]) => `${k} ${v}`).join('; ') || r.id)}</dd>`);
        break;
      case 'log group':
        items.push(`<dt>Log group</dt><dd>${escapeHtml(r.name)}</dd>`);
        break;
      default:
        items.push(`<dt>${escapeHtml(r.kind)}</dt><dd>${escapeHtml(r.name)}</dd>`);
    }
  }
  return `<dl class="ev">${items.join('')}</dl>`;
}

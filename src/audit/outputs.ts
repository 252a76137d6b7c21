/**
 * The audit's output formats and `--output-dir`: `text` and `json` (the
 * report), `asff`, `ocsf`, `csv` and `html` (the evidence findings). One run
 * renders every format from the same result, so the files of one
 * `--output-dir` always agree.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runToAsff } from './asff';
import { runToCsv } from './csv';
import { AuditFailure, AuditInputError, AUDIT_EXIT_CODES } from './errors';
import { EvidenceRun } from './findings';
import { auditToJson, auditToText } from './format';
import { runToHtml } from './html';
import { runToOcsf } from './ocsf';
import { AuditRunResult } from './run';
import type { SecurityHubImportResult } from './security-hub';

/** Every `--format`, in the order `--output-dir` writes them. */
export const OUTPUT_FORMATS = ['text', 'json', 'asff', 'ocsf', 'csv', 'html'] as const;
export type OutputFormat = typeof OUTPUT_FORMATS[number];

/** The formats rendered from evidence findings (they need the tool version and the time of the run). */
export const EVIDENCE_FORMATS: readonly OutputFormat[] = ['asff', 'ocsf', 'csv', 'html'];

/** File name suffix of each format in `--output-dir`. */
export const OUTPUT_SUFFIX: Record<OutputFormat, string> = {
  text: '.txt', json: '.json', asff: '.asff.json', ocsf: '.ocsf.json', csv: '.csv', html: '.html',
};

export function isOutputFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(value);
}

/** What `--security-hub` adds to the text and JSON outputs. */
export interface RenderExtras {
  readonly securityHub?: readonly SecurityHubImportResult[];
}

/**
 * One format's text. Throws AuditInputError for `asff` when a finding has no
 * account or Region (a template whose stacks have no env): ASFF cannot hold it.
 */
export function renderFormat(format: OutputFormat, result: AuditRunResult, run: EvidenceRun | undefined, extras: RenderExtras = {}): string {
  switch (format) {
    case 'text':
      return auditToText(result) + (extras.securityHub ? securityHubText(extras.securityHub) : '');
    case 'json': {
      const doc = auditToJson(result) as Record<string, unknown>;
      return JSON.stringify(extras.securityHub ? { ...doc, securityHub: extras.securityHub } : doc, null, 2) + '\n';
    }
  }
  if (!run) throw new Error(`--format ${format} needs the evidence of the run`);
  switch (format) {
    case 'asff': {
      const { findings, skipped } = runToAsff(run);
      if (skipped.length) {
        throw new AuditInputError(`--format asff: ${skipped.join('; ')}. ASFF findings belong to an account and Region; use --format ocsf, csv or html for templates without an env.`);
      }
      return JSON.stringify(findings, null, 2) + '\n';
    }
    case 'ocsf': return JSON.stringify(runToOcsf(run), null, 2) + '\n';
    case 'csv': return runToCsv(run);
    case 'html': return runToHtml(run);
  }
  throw new Error(`unknown format ${String(format)}`);
}

/** The Security Hub import's outcome per target, for the text output. */
export function securityHubText(results: readonly SecurityHubImportResult[]): string {
  const lines = ['', 'Security Hub import (one finding per control, into each target\'s own Security Hub):'];
  for (const r of results) {
    if (r.outcome === 'IMPORTED') lines.push(`  ${r.environment}: imported ${r.imported} findings${r.archived ? `, archived ${r.archived} of controls no longer audited` : ''} (${r.calls} BatchImportFindings call${r.calls === 1 ? '' : 's'}).`);
    else lines.push(`  ${r.environment}: ${r.outcome.replace('_', ' ')}: ${r.message ?? ''}`);
  }
  const bad = results.filter(r => r.outcome !== 'IMPORTED');
  lines.push(bad.length
    ? `Security Hub: ${bad.length} of ${results.length} targets not fully imported (exit code ${AUDIT_EXIT_CODES.SECURITY_HUB} unless the audit itself failed); the report files hold every finding.`
    : `Security Hub: every finding of ${results.length} target${results.length === 1 ? '' : 's'} imported.`);
  return lines.join('\n') + '\n';
}

/**
 * Checks that `dir` can take the output files before anything is audited:
 * creates it (with parents) and writes and removes a probe file.
 */
export function prepareOutputDir(dir: string): string {
  const resolved = path.resolve(dir);
  try {
    if (fs.existsSync(resolved) && !fs.statSync(resolved).isDirectory()) {
      throw new AuditInputError(`--output-dir ${dir} is a file, not a directory. Give a directory (it is created if missing).`);
    }
    fs.mkdirSync(resolved, { recursive: true });
    const probe = path.join(resolved, `.cis-monitoring-write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (e) {
    if (e instanceof AuditFailure) throw e;
    throw new AuditInputError(`--output-dir ${dir} cannot be written (${(e as NodeJS.ErrnoException).code ?? ''}: ${String((e as Error).message).split('\n')[0]}). Give a directory you can write to; nothing was audited.`);
  }
  return resolved;
}

/** `cis-monitoring-20250101T120000Z`: files of runs into the same directory never overwrite each other. */
export function outputBaseName(generatedAt: string): string {
  return `cis-monitoring-${generatedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
}

/**
 * Writes every format into `dir` (each file complete or absent: written to a
 * temporary name, then renamed). Returns the files written and the formats
 * left out with why (ASFF without an account).
 */
export function writeOutputDir(
  dir: string, result: AuditRunResult, run: EvidenceRun, extras: RenderExtras = {},
): { written: string[]; skipped: string[] } {
  const written: string[] = [];
  const skipped: string[] = [];
  const base = path.join(dir, outputBaseName(run.generatedAt));
  for (const format of OUTPUT_FORMATS) {
    let text: string;
    try {
      text = renderFormat(format, result, run, extras);
    } catch (e) {
      if (e instanceof AuditInputError) {
        skipped.push(`${format}: ${e.message}`);
        continue;
      }
      throw e;
    }
    const file = `${base}${OUTPUT_SUFFIX[format]}`;
    const tmp = `${file}.tmp-${process.pid}`;
    try {
      fs.writeFileSync(tmp, text);
      fs.renameSync(tmp, file);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw new AuditFailure(`--output-dir: cannot write ${file} (${(e as NodeJS.ErrnoException).code ?? ''}: ${String((e as Error).message).split('\n')[0]}). Files written before it: ${written.join(', ') || 'none'}.`, AUDIT_EXIT_CODES.ERROR);
    }
    written.push(file);
  }
  return { written, skipped };
}

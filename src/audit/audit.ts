/**
 * The audit: every measurable check of the action plan from one mine's data,
 * each a definition in checks/ (the registry) tied to a requirement ID, with
 * its status, values, threshold, evidence and the sentences of the
 * remediation form (存在的问题 / 整改提升措施) in Chinese and English. A check
 * whose inputs are missing, or whose data cannot be read, is "not assessed"
 * with a coded reason; the rest of the audit still runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { crsFromEpsg } from '../crs/index.js';
import { type Finding, GreenmineError } from '../errors.js';
import { type ClassifyReport, classifyImagery } from '../imagery/index.js';
import { type InputStamp, stampInput } from '../io/files.js';
import { isoLocal, localDate } from '../io/time.js';
import { type License, type LicenseFeatureCollection, type LicenseSummary, licensesToGeoJson, loadLicenses, summarizeLicense } from '../license/index.js';
import type { Check, CheckDef } from './check.js';
import { CHECKS } from './checks/index.js';
import { AuditContext, INPUTS, type Reason, reasonOf } from './context.js';
import { type LoadedManifest, loadManifest, type ManifestOptions, type PlanEntry, type Thresholds } from './manifest.js';
import { classUnderlay, imageryUnderlay, type MapUnderlay, mapFrame } from './map.js';
import { ON_SITE } from './on-site.js';

export type { Check, CheckDef, CheckResult, EvidenceFeature, Status, Text } from './check.js';
export type { Reason } from './context.js';

/**
 * 1.1: a not-assessed check's reason is {code, zh, en}; `inputs` lists every file read.
 * 1.2: times are local ISO 8601 with their offset (`timeZone`); `reportDate`; form rows carry
 * `responsible` and the manifest's plan.
 */
export const REPORT_VERSION = '1.2.0';

/** A row of the remediation form; `planned` says whether measures, date or unit came from the manifest's plan. */
export interface FormRow {
  row: number;
  category: string;
  problems: string;
  measures: string;
  dueDate: string;
  responsible: string;
}

export interface AuditReport {
  version: string;
  generatedAt: string;
  manifest: string;
  /** Every file the audit read (the manifest first), with its size and time: the key batch --resume compares. */
  inputs: InputStamp[];
  mine: LoadedManifest['manifest']['mine'] & { licenseNoFromLicense: string | null };
  license: LicenseSummary | null;
  /** The license in WGS 84, for maps. */
  licenseGeometry: LicenseFeatureCollection;
  thresholds: Thresholds;
  overriddenThresholds: string[];
  checks: Check[];
  onSite: Array<{ id: string; row: number; zh: string; en: string }>;
  /** The zone every time of the report is written in. */
  timeZone: string;
  /** 填报日期: the manifest's reportDate, else the local date of the audit. */
  reportDate: string;
  form: FormRow[];
  findings: Finding[];
  /** Imagery the audit classified (when the manifest gives imagery and no class rasters): method, threshold, histogram. */
  imagery?: ImageryClassification[];
  /** The map's underlay picture (rendered from the latest class raster); written into report.html, not report.json. */
  underlay?: MapUnderlay | null;
}

const ROWS: Record<number, string> = { 1: '矿区环境', 2: '治理复绿', 3: '视觉污染', 4: '"三废"处置', 5: '数字化建设', 6: '企业形象' };

/**
 * The six rows of the form from the checks and the plan. A row never reads clean when one of
 * its checks did not run: it says which, and why, in Chinese. The plan's measures for a row
 * replace the generated ones; a requirement's replace that requirement's; dates and units of
 * the row and of its requirements are listed together.
 */
export function formRows(checks: Check[], plan: Record<string, PlanEntry>): FormRow[] {
  return [1, 2, 3, 4, 5, 6].map((row) => {
    const rowChecks = checks.filter((c) => c.row === row);
    const problems = rowChecks.filter((c) => c.problem).map((c) => `${c.id} ${c.problem!.zh}`);
    const unassessed = rowChecks.filter((c) => c.status === 'not-assessed').map((c) => `${c.id} ${c.title.zh}：未评估（${reasonZh(c.reason)}）`);
    const onSite = ON_SITE.filter((o) => o.row === row);
    const planned = (id: string): PlanEntry | undefined => plan[id];
    const measures = [...rowChecks.filter((c) => planned(c.id)?.measures || c.measure).map((c) => `${c.id} ${planned(c.id)?.measures ?? c.measure!.zh}`), ...onSite.map((o) => `${o.id} ${planned(o.id)?.measures ?? o.zh}`)];
    const ids = [String(row), ...rowChecks.map((c) => c.id), ...onSite.map((o) => o.id)];
    const listed = (key: 'dueDate' | 'responsible'): string =>
      ids
        .filter((id) => planned(id)?.[key])
        .map((id) => (id === String(row) ? planned(id)![key]! : `${id} ${planned(id)![key]!}`))
        .join('；');
    const text = [...problems, ...unassessed];
    return {
      row,
      category: ROWS[row]!,
      problems: text.length ? text.join('；') : rowChecks.length ? '未发现可量测问题' : '无可量测项目，需现场核查',
      measures: plan[String(row)]?.measures ?? measures.join('；'),
      dueDate: listed('dueDate'),
      responsible: listed('responsible'),
    };
  });
}

/** Why a check did not run, in Chinese for the form. */
export function reasonZh(reason: Reason | undefined): string {
  return reason?.zh ?? '未说明原因';
}

/** Run one check: not assessed when an input it needs is missing, or when its data cannot be read. */
export async function runCheck(def: CheckDef, ctx: AuditContext): Promise<Check> {
  const head = { id: def.id, row: def.row, title: def.title(ctx.t) };
  const empty = { values: {}, threshold: {}, problem: null, measure: null, evidence: [] };
  const missing = def.needs.find((n) => !INPUTS[n].present(ctx.manifest));
  if (missing) return { ...head, status: 'not-assessed', reason: { code: 'INPUT_MISSING', zh: INPUTS[missing].zh, en: INPUTS[missing].en }, ...empty };
  try {
    return { ...head, ...(await def.run(ctx)) };
  } catch (err) {
    return { ...head, status: 'not-assessed', reason: reasonOf(err), ...empty };
  }
}

/** The stamps of a mine's inputs: the manifest, then every file it names (in manifest order). */
export function auditInputs(manifestPath: string, loaded: LoadedManifest): InputStamp[] {
  return [stampInput('manifest', resolve(manifestPath)), ...loaded.inputs.map((i) => stampInput(i.role, i.path))];
}

/** One classified survey of `imagery`, as the report shows it. */
export interface ImageryClassification {
  source: string;
  date: string | null;
  method: string;
  bands: string[];
  threshold: ClassifyReport['threshold'];
  separability: number | null;
  histogram: ClassifyReport['histogram'];
  greenRatio: number | null;
  areasM2: ClassifyReport['areasM2'];
  coveredShare: number;
}

/**
 * The manifest's imagery classified into class rasters in a temporary folder (when it gives no class
 * rasters): the manifest as the checks see it then names those rasters. Failures are findings; the
 * checks that need classes are then not assessed.
 */
async function classifySurveys(loaded: LoadedManifest, licenses: License[], findings: Finding[], dir: string): Promise<{ loaded: LoadedManifest; imagery: ImageryClassification[] }> {
  const { manifest } = loaded;
  const generated = new Set<string>();
  const classes: NonNullable<LoadedManifest['manifest']['classes']> = [];
  const imagery: ImageryClassification[] = [];
  for (const [i, entry] of (manifest.imagery ?? []).entries()) {
    const out = join(dir, `survey-${i + 1}.tif`);
    try {
      const r = await classifyImagery(loaded.resolve(entry.path), out, { licenses, method: entry.method, threshold: entry.threshold, bands: entry.bands, bufferM: loaded.thresholds.bufferM });
      findings.push(...r.findings);
      generated.add(out);
      classes.push(entry.date ? { path: out, date: entry.date } : { path: out });
      imagery.push({
        source: entry.path,
        date: entry.date ?? null,
        method: r.method,
        bands: r.bands,
        threshold: r.threshold,
        separability: r.separability,
        histogram: r.histogram,
        greenRatio: r.greenRatio,
        areasM2: r.areasM2,
        coveredShare: r.coveredShare,
      });
    } catch (err) {
      findings.push({ code: 'AUDIT_IMAGERY', severity: 'warning', message: `imagery[${i}] (${entry.path}) could not be classified: ${reasonOf(err).en}`, where: { file: loaded.file, path: `imagery[${i}]` } });
    }
  }
  return {
    loaded: { ...loaded, manifest: { ...manifest, classes, imagery: undefined }, resolve: (p: string) => (generated.has(p) ? p : loaded.resolve(p)) },
    imagery,
  };
}

export interface AuditOptions extends ManifestOptions {
  /** Render the latest class raster under the report's map (default true). */
  underlay?: boolean;
}

export async function runAudit(manifestPath: string, options: AuditOptions = {}): Promise<AuditReport> {
  const loaded = loadManifest(manifestPath, options);
  const { manifest } = loaded;
  const findings: Finding[] = [...loaded.missing];
  let licenses: License[];
  try {
    licenses = await loadLicenses(loaded.resolve(manifest.license), manifest.licenseOptions ?? {});
  } catch (err) {
    throw new GreenmineError('AUDIT_LICENSE', `${manifestPath}: the license could not be read, so nothing can be audited (${reasonOf(err).en})`, { file: manifestPath, path: 'license' });
  }
  const licenseSummary: LicenseSummary = summarizeLicense(licenses[0]!);
  for (const l of licenses) findings.push(...l.findings);
  const imageryDir = !manifest.classes?.length && manifest.imagery?.length ? mkdtempSync(join(tmpdir(), 'greenmine-classes-')) : null;
  try {
    const surveys = imageryDir ? await classifySurveys(loaded, licenses, findings, imageryDir) : { loaded, imagery: undefined };
    return await auditWith(manifestPath, surveys.loaded, licenses, licenseSummary, findings, options, surveys.imagery);
  } finally {
    if (imageryDir) rmSync(imageryDir, { recursive: true, force: true });
  }
}

async function auditWith(manifestPath: string, loaded: LoadedManifest, licenses: License[], licenseSummary: LicenseSummary, findings: Finding[], options: AuditOptions, imagery: ImageryClassification[] | undefined): Promise<AuditReport> {
  const { manifest, thresholds: t } = loaded;
  const ctx = new AuditContext(manifestPath, loaded, licenses, findings);
  // One after the other: the checks share the context's measurements (made once), and rasters decode on the pool.
  const checks: Check[] = [];
  for (const def of CHECKS) checks.push(await runCheck(def, ctx));
  checks.sort((a, b) => a.row - b.row || a.id.localeCompare(b.id, 'en', { numeric: true }));

  const form = formRows(checks, manifest.plan ?? {});
  const now = Date.now() / 1000;
  const report: AuditReport = {
    version: REPORT_VERSION,
    generatedAt: isoLocal(Math.floor(now), loaded.timeZone),
    manifest: manifestPath,
    inputs: auditInputs(manifestPath, loaded),
    mine: { ...manifest.mine, licenseNoFromLicense: licenses[0]?.licenseNo ?? null },
    license: licenseSummary,
    licenseGeometry: licensesToGeoJson(licenses, crsFromEpsg(4326)),
    thresholds: t,
    overriddenThresholds: loaded.overridden,
    checks,
    onSite: ON_SITE,
    timeZone: loaded.timeZone,
    reportDate: manifest.mine.reportDate ?? localDate(now, loaded.timeZone),
    form,
    findings,
    ...(imagery ? { imagery } : {}),
  };
  if (options.underlay !== false && ctx.manifest.classes?.length) report.underlay = await renderUnderlay(report, ctx);
  return report;
}

/** The latest imagery the audit classified (the context's manifest names the classes made from it). */
function imageryOf(report: AuditReport): { path: string; date?: string | null } | undefined {
  const last = report.imagery?.at(-1);
  return last ? { path: last.source, date: last.date } : undefined;
}

/** The class raster under the map, or null (with an info finding) when it cannot be drawn cheaply or at all. */
async function renderUnderlay(report: AuditReport, ctx: AuditContext): Promise<MapUnderlay | null> {
  const frame = mapFrame(report);
  if (!frame) return null;
  // The latest orthophoto when the manifest gives imagery (the picture an inspector recognises), else the classes.
  const image = ctx.loaded.manifest.imagery?.at(-1) ?? imageryOf(report);
  if (image) {
    try {
      const underlay = await imageryUnderlay(ctx.loaded.resolve(image.path), frame, { source: image.path, date: image.date ?? undefined });
      if (underlay) return underlay;
    } catch {
      // Fall back to the classes.
    }
  }
  const latest = ctx.latest;
  try {
    const underlay = await classUnderlay(ctx.file(latest.path), await ctx.scheme(), frame, { source: latest.path, date: latest.date }, ctx.blocks);
    if (!underlay)
      report.findings.push({
        code: 'MAP_UNDERLAY_SKIPPED',
        severity: 'warning',
        message: `${latest.path}: no class underlay on the map (the raster has no overviews and too many blocks under the map for a quick look, or no data there); add overviews (gdaladdo) to get one`,
        where: { file: ctx.manifestPath, path: 'classes' },
      });
    return underlay;
  } catch (err) {
    report.findings.push({ code: 'MAP_UNDERLAY_SKIPPED', severity: 'warning', message: `${latest.path}: no class underlay on the map (${reasonOf(err).en})`, where: { file: ctx.manifestPath, path: 'classes' } });
    return null;
  }
}

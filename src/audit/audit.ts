/**
 * The audit: every measurable check of the action plan from one mine's data,
 * each a definition in checks/ (the registry) tied to a requirement ID, with
 * its status, values, threshold, evidence and the sentences of the
 * remediation form (存在的问题 / 整改提升措施) in Chinese and English. A check
 * whose inputs are missing, or whose data cannot be read, is "not assessed"
 * with a coded reason; the rest of the audit still runs.
 */
import { resolve } from 'node:path';
import { crsFromEpsg } from '../crs/index.js';
import { type Finding, GreenmineError } from '../errors.js';
import { type InputStamp, stampInput } from '../io/files.js';
import { type License, type LicenseFeatureCollection, type LicenseSummary, licensesToGeoJson, loadLicenses, summarizeLicense } from '../license/index.js';
import type { Check, CheckDef } from './check.js';
import { CHECKS } from './checks/index.js';
import { AuditContext, INPUTS, type Reason, reasonOf } from './context.js';
import { type LoadedManifest, loadManifest, type ManifestOptions, type Thresholds } from './manifest.js';

export type { Check, CheckDef, CheckResult, EvidenceFeature, Status, Text } from './check.js';
export type { Reason } from './context.js';

/** 1.1: a not-assessed check's reason is {code, zh, en}; `inputs` lists every file read. */
export const REPORT_VERSION = '1.1.0';

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
  form: Array<{ row: number; category: string; problems: string; measures: string; dueDate: string }>;
  findings: Finding[];
}

const ROWS: Record<number, string> = { 1: '矿区环境', 2: '治理复绿', 3: '视觉污染', 4: '"三废"处置', 5: '数字化建设', 6: '企业形象' };

const ON_SITE = [
  { id: 'R1.2', row: 1, zh: '矿区界线、大门与门卫，标识标牌、警示牌、绿色矿山旗帜，道路整洁，物料堆放有序（需现场核查）', en: 'Site boundary, gate and guard, signs and flag, tidy roads and storage (on-site check)' },
  { id: 'R2.4', row: 2, zh: '喷灌或滴灌设施，植物群落与周边协调、可自我维持（需现场核查）', en: 'Irrigation installed; self-sustaining plant communities (on-site check)' },
  {
    id: 'R4.3',
    row: 4,
    zh: '加工封闭、皮带廊道封闭、道路硬化保洁、车辆苫盖，雨污分流与废水回用，表土与废石综合利用（需现场核查）',
    en: 'Enclosed processing and conveyors, hardened roads, covered trucks, water recycling, waste reuse (on-site check)',
  },
  { id: 'R5.5', row: 5, zh: '数据中心与一屏展示，生产数据自动采集（需现场核查）', en: 'Data centre and single-screen display, automatic production data (on-site check)' },
  { id: 'R6.1', row: 6, zh: '管理制度、组织与培训、职工宿舍及文体设施、统一着装、社区共建（需现场核查）', en: 'Management systems, training, dormitories and facilities, uniforms, community work (on-site check)' },
];

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

export async function runAudit(manifestPath: string, options: ManifestOptions = {}): Promise<AuditReport> {
  const loaded = loadManifest(manifestPath, options);
  const { manifest, thresholds: t } = loaded;
  const findings: Finding[] = [...loaded.missing];
  let licenses: License[];
  try {
    licenses = await loadLicenses(loaded.resolve(manifest.license), manifest.licenseOptions ?? {});
  } catch (err) {
    throw new GreenmineError('AUDIT_LICENSE', `${manifestPath}: the license could not be read, so nothing can be audited (${reasonOf(err).en})`, { file: manifestPath, path: 'license' });
  }
  const licenseSummary: LicenseSummary = summarizeLicense(licenses[0]!);
  for (const l of licenses) findings.push(...l.findings);
  const ctx = new AuditContext(manifestPath, loaded, licenses, findings);
  // One after the other: the checks share the context's measurements (made once), and rasters decode on the pool.
  const checks: Check[] = [];
  for (const def of CHECKS) checks.push(await runCheck(def, ctx));
  checks.sort((a, b) => a.row - b.row || a.id.localeCompare(b.id, 'en', { numeric: true }));

  const form = [1, 2, 3, 4, 5, 6].map((row) => {
    const rowChecks = checks.filter((c) => c.row === row);
    const problems = rowChecks.filter((c) => c.problem).map((c) => `${c.id} ${c.problem!.zh}`);
    // A row never reads clean when one of its checks did not run: say which, and why, in Chinese.
    const unassessed = rowChecks.filter((c) => c.status === 'not-assessed').map((c) => `${c.id} ${c.title.zh}：未评估（${reasonZh(c.reason)}）`);
    const measures = rowChecks.filter((c) => c.measure).map((c) => `${c.id} ${c.measure!.zh}`);
    const onSite = ON_SITE.filter((o) => o.row === row).map((o) => `${o.id} ${o.zh}`);
    const text = [...problems, ...unassessed];
    return { row, category: ROWS[row]!, problems: text.length ? text.join('；') : rowChecks.length ? '未发现可量测问题' : '无可量测项目，需现场核查', measures: [...measures, ...onSite].join('；'), dueDate: '' };
  });
  return {
    version: REPORT_VERSION,
    generatedAt: new Date().toISOString(),
    manifest: manifestPath,
    inputs: auditInputs(manifestPath, loaded),
    mine: { ...manifest.mine, licenseNoFromLicense: licenses[0]?.licenseNo ?? null },
    license: licenseSummary,
    licenseGeometry: licensesToGeoJson(licenses, crsFromEpsg(4326)),
    thresholds: t,
    overriddenThresholds: loaded.overridden,
    checks,
    onSite: ON_SITE,
    form,
    findings,
  };
}

/**
 * A check of the audit: one requirement ID, its form row, its title quoting
 * the thresholds in force, the manifest inputs it needs, how its evidence is
 * drawn, and `run`, which decides pass or fail from what the engines measure.
 * Each lives in checks/<id>.ts; checks/index.ts lists them (the registry).
 */

import { eventFeature, type FenceEvent } from '../fence/index.js';
import { isoLocal } from '../io/time.js';
import type { Track } from '../track/index.js';
import type { AuditContext, InputName, Reason } from './context.js';
import type { Thresholds } from './manifest.js';

export type Status = 'pass' | 'fail' | 'not-assessed';

export interface Text {
  zh: string;
  en: string;
}

export interface EvidenceFeature {
  type: 'Feature';
  properties: Record<string, unknown> & { finding: string };
  geometry: { type: string; coordinates: unknown };
}

/** A check's result in the report. */
export interface Check {
  id: string;
  /** Form row 1–6. */
  row: number;
  title: Text;
  status: Status;
  /** Why a check was not assessed: a code and the reason in both languages. */
  reason?: Reason;
  values: Record<string, number | string | boolean | null>;
  threshold: Record<string, number | string | boolean>;
  problem: Text | null;
  measure: Text | null;
  evidence: EvidenceFeature[];
  events?: Array<Record<string, unknown>>;
}

/** What a check's run returns: its verdict and what backs it (id, row and title come from the definition). */
export type CheckResult = Omit<Check, 'id' | 'row' | 'title'>;

export interface CheckDef {
  id: string;
  row: number;
  title(t: Thresholds): Text;
  /** Manifest inputs without which the check is not assessed (the reason comes from INPUTS). */
  needs: InputName[];
  /**
   * How the evidence is drawn on the map: colour, legend text (of its areas, and of its lines when it has
   * both), numbered with a prefix (B1, B2… bare patches; the form's text cites the numbers), or as a dashed
   * outline (large areas such as the unseen parts of the license, which a fill would wash over).
   */
  map?: { colour: string; legend: Text; lineLegend?: Text; numbered?: string; outline?: boolean };
  run(ctx: AuditContext): Promise<CheckResult>;
}

/** Map numbers as the text cites them: "B1–B4", "S1、S3", the first twelve and a count beyond. */
export function mapRefs(prefix: string, ids: number[]): string {
  const sorted = [...ids].sort((a, b) => a - b);
  if (sorted.length === 0) return '';
  if (sorted.length > 2 && sorted.every((v, i) => v === sorted[0]! + i)) return `${prefix}${sorted[0]}–${prefix}${sorted.at(-1)}`;
  const shown = sorted
    .slice(0, 12)
    .map((v) => `${prefix}${v}`)
    .join('、');
  return sorted.length > 12 ? `${shown} 等 ${sorted.length} 处` : shown;
}

/** An area as the form shows it: whole square metres with thousands separators, and hectares from 1 ha (542,041 m²（54.20 ha）). */
export const m2 = (v: number): string => {
  const whole = `${Math.round(v).toLocaleString('en-US')} m²`;
  return Math.abs(v) >= 10_000 ? `${whole}（${(v / 10_000).toFixed(2)} ha）` : whole;
};

/** A ratio as a percentage to 0.1 % (0.9234 → "92.3%"). */
export const percent = (ratio: number): string => `${(ratio * 100).toFixed(1)}%`;

/** A verdict: fail with its problem and measure, or pass with neither. */
export function verdict(fail: boolean, result: Omit<CheckResult, 'status' | 'problem' | 'measure'>, problem: () => Text, measure: Text): CheckResult {
  return { status: fail ? 'fail' : 'pass', ...result, problem: fail ? problem() : null, measure: fail ? measure : null };
}

/** Not assessed for a reason found while measuring (nothing to measure). */
export function notAssessedResult(reason: Reason): CheckResult {
  return { status: 'not-assessed', reason, values: {}, threshold: {}, problem: null, measure: null, evidence: [] };
}

export function polygonFeature(finding: string, coordinates: number[][][][], properties: Record<string, unknown> = {}): EvidenceFeature {
  return { type: 'Feature', properties: { finding, ...properties }, geometry: { type: 'MultiPolygon', coordinates } };
}

/** An event's evidence: the fence's one event-to-GeoJSON rule, with the finding it backs. */
export function trackFeature(finding: string, track: Track, e: FenceEvent): EvidenceFeature {
  const f = eventFeature(track, e);
  const p = f.properties as unknown as FenceEvent & { start: string; end: string };
  return { ...f, properties: { finding, type: p.type, device: p.device, start: p.start, end: p.end, fixes: p.fixes, maxDistanceM: p.maxDistanceM } };
}

/** An instant (s) as local ISO 8601 with its offset in the mine's zone (2023-11-16T10:25:00+08:00). */
export const iso = (s: number, timeZone: string): string => isoLocal(s, timeZone);

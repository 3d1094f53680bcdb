/**
 * The audit's thresholds in one table: name, unit, default, range, help in
 * Chinese and English, and the command-line flag that sets it where one
 * does. The `Thresholds` type, the defaults, the `thresholds` part of
 * schemas/mine.schema.json (a test compares) and the ranges of the CLI flags
 * all come from here: a default is written once.
 */
export interface ThresholdOption {
  unit: string;
  default: number;
  min: number;
  max?: number;
  integer?: boolean;
  zh: string;
  en: string;
  /** The CLI flag of a command that sets the same quantity. */
  flag?: string;
}

export const THRESHOLD_OPTIONS = {
  greenRatio: { unit: 'ratio', default: 1, min: 0, max: 1, zh: '可绿化区域绿化覆盖率目标', en: 'Target green-coverage ratio of the greenable area (R1.1: 100 %).', flag: '--target' },
  maxExposedSlopes: { unit: 'slopes', default: 2, min: 0, max: 1_000_000, integer: true, zh: '裸露终了边坡数量上限', en: 'Most exposed final slopes allowed (R2.2: 2).', flag: '--limit' },
  minSlopeDeg: { unit: '°', default: 25, min: 0, max: 90, zh: '边坡最小坡度', en: 'Slope from which bare ground is a slope (degrees).', flag: '--min-slope' },
  minSlopeAreaM2: { unit: 'm²', default: 50, min: 0, max: 1e9, zh: '边坡最小面积', en: 'Smallest exposed slope counted (m²).', flag: '--min-area' },
  minSoilM: { unit: 'm', default: 0.3, min: 0, max: 100, zh: '平台覆土最小厚度', en: 'Least platform soil thickness (R2.3: 0.30 m).', flag: '--min-thickness' },
  bufferM: { unit: 'm', default: 50, min: 0, max: 10_000, zh: '矿区范围外检查带宽', en: 'Width of the ring outside the license searched for disturbance (R3.3).', flag: '--buffer' },
  maxOutsideBareM2: { unit: 'm²', default: 0, min: 0, max: 1e9, zh: '矿区范围外允许裸露面积', en: 'Bare ground allowed in the ring outside the license (m²).' },
  maxRestoredBareM2: { unit: 'm²', default: 0, min: 0, max: 1e9, zh: '治理区允许裸露面积', en: 'Bare ground allowed on restored platforms (R2.1, m²).' },
  fenceToleranceM: { unit: 'm', default: 5, min: 0, max: 10_000, zh: '电子围栏定位容差', en: 'GNSS tolerance of the electronic fence (R5.1, m).', flag: '--tolerance' },
  minExcursionFixes: { unit: 'fixes', default: 1, min: 1, max: 1_000_000, integer: true, zh: '越界最少定位点数', en: 'Fixes beyond the tolerance that make an excursion.', flag: '--min-fixes' },
  maxGapS: { unit: 's', default: 300, min: 0, max: 31_536_000, zh: '定位中断时长上限', en: 'Longest silence of a tracker before it is a positioning gap (R5.2, s).', flag: '--max-gap' },
  minWashS: { unit: 's', default: 60, min: 0, max: 86_400, zh: '最短冲洗时长', en: 'Least time in the wash zone that counts as washing (R4.2, s).', flag: '--min-wash' },
  washWithinS: { unit: 's', default: 600, min: 0, max: 86_400, zh: '冲洗后驶离时限', en: 'Most time between washing and leaving (R4.2, s).', flag: '--wash-within' },
  heightOffsetM: { unit: 'm', default: 0, min: -10_000, max: 10_000, zh: '高程基准差', en: 'Added to the licensed elevations before comparing with fix heights (geoid undulation, m).', flag: '--height-offset' },
  minPatchM2: { unit: 'm²', default: 50, min: 0, max: 1e9, zh: '最小图斑面积', en: 'Smallest bare or unseen patch listed as evidence (m²).', flag: '--min-patch' },
  maxPlatformSlopeDeg: { unit: '°', default: 5, min: 0, max: 90, zh: '平台最大坡度', en: 'Steepest ground taken for a platform without a platform layer (degrees).', flag: '--max-platform-slope' },
  minVideoCoverage: { unit: 'ratio', default: 1, min: 0, max: 1, zh: '视频监控覆盖率下限', en: 'Share of the license the cameras must see (R5.3: the whole mining area).' },
  roadHalfWidthM: { unit: 'm', default: 4, min: 0, max: 100, zh: '运输道路半宽', en: 'Half the width of a haul road: the roadside strip starts this far from the centreline (R3.2, m).' },
  roadsideM: { unit: 'm', default: 10, min: 0.5, max: 1_000, zh: '道路两侧检查带宽', en: 'Width of the strip on each side of a haul road, from its edge outward (R3.2, m).' },
  maxRoadsideBareM2: { unit: 'm²', default: 50, min: 0, max: 1e9, zh: '道路两侧允许裸露面积', en: 'Bare ground allowed along the haul roads before R3.2 fails (m²; below it is noise).' },
  maxIdleBareM2: { unit: 'm²', default: 50, min: 0, max: 1e9, zh: '暂不开采区域允许裸露面积', en: 'Bare ground allowed on ground not mined for now before R3.2 fails (m²).' },
  minMonitorCompleteness: { unit: 'ratio', default: 0.9, min: 0, max: 1, zh: '粉尘监测数据完整率下限', en: 'Share of expected dust readings a monitor must deliver (R4.1).' },
} as const satisfies Record<string, ThresholdOption>;

export type ThresholdName = keyof typeof THRESHOLD_OPTIONS;
export type Thresholds = { [K in ThresholdName]: number };

export const DEFAULT_THRESHOLDS: Thresholds = Object.fromEntries(Object.entries(THRESHOLD_OPTIONS).map(([k, o]) => [k, o.default])) as Thresholds;

/** The `thresholds` part of schemas/mine.schema.json, as generated from the table. */
export function thresholdsSchema(): object {
  const properties: Record<string, object> = {};
  for (const [name, o] of Object.entries(THRESHOLD_OPTIONS) as Array<[string, ThresholdOption]>) {
    properties[name] = {
      type: o.integer ? 'integer' : 'number',
      minimum: o.min,
      ...(o.max !== undefined ? { maximum: o.max } : {}),
      default: o.default,
      description: `${o.zh}. ${o.en}`,
    };
  }
  return { type: 'object', additionalProperties: false, description: 'Overrides of the defaults (src/audit/options.ts); the report lists the ones overridden.', properties };
}

/** The range of a CLI flag that sets a threshold, from the table; undefined for other flags. */
export function flagRange(flag: string): { min: number; max: number; integer?: boolean; unit: string; default: number } | undefined {
  for (const o of Object.values(THRESHOLD_OPTIONS) as ThresholdOption[]) {
    if (o.flag === flag) return { min: o.min, max: o.max ?? Number.MAX_VALUE, integer: o.integer, unit: o.unit, default: o.default };
  }
  return undefined;
}

/** The threshold's default value as the CLI's help and the form quote it: "30 cm", "100 %", "2". */
export function quote(name: ThresholdName, value: number): string {
  const o: ThresholdOption = THRESHOLD_OPTIONS[name];
  if (o.unit === 'ratio') return `${+(value * 100).toFixed(2)}%`;
  if (name === 'minSoilM') return `${+(value * 100).toFixed(1)}cm`;
  if (o.unit === 'slopes' || o.unit === 'fixes') return String(value);
  return `${value}${o.unit === '°' ? '°' : o.unit}`;
}

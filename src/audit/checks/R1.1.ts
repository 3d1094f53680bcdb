/** R1.1 可绿化区域绿化覆盖率达到100%: green ÷ (green + bare) in the greenable area of the latest survey. */
import { type CheckDef, m2, mapRefs, notAssessedResult, percent, polygonFeature, verdict } from '../check.js';
import { quote } from '../options.js';

/** The rule: the green ratio reaches the target (to rounding); null when there is nothing greenable to judge. */
export function greenCoveragePasses(greenRatio: number | null, target: number): boolean | null {
  return greenRatio === null ? null : greenRatio >= target - 1e-12;
}

export const R1_1: CheckDef = {
  id: 'R1.1',
  row: 1,
  title: (t) => ({ zh: `可绿化区域绿化覆盖率达到${quote('greenRatio', t.greenRatio)}`, en: `Green coverage of the greenable area reaches ${quote('greenRatio', t.greenRatio)}` }),
  needs: ['classes'],
  map: { colour: '#d55e00', legend: { zh: '裸露图斑（编号）', en: 'Bare patches (numbered)' }, numbered: 'B' },
  async run(ctx) {
    const { t } = ctx;
    const coverage = await ctx.coverage();
    if (coverage.greenRatio === null) return notAssessedResult({ code: 'RASTER_NO_OVERLAP', zh: '许可范围内无可绿化区域（绿地与裸地均为零）', en: 'no greenable area (green + bare) inside the license' });
    const a = coverage.areaM2;
    const ratio = coverage.greenRatio;
    // Checks decide: the ratio against the target in force (the engine measures, it does not judge).
    return verdict(
      !greenCoveragePasses(ratio, t.greenRatio),
      {
        values: { greenRatio: ratio, greenM2: a.green, bareM2: a.bare, excludedM2: a.excluded, survey: ctx.latest.date ?? ctx.latest.path, mode: coverage.mode },
        threshold: { greenRatio: t.greenRatio },
        evidence: coverage.barePatches.map((p) => polygonFeature('R1.1', p.outline, { patch: p.id, areaM2: p.areaM2 })),
      },
      () => {
        const refs = mapRefs(
          'B',
          coverage.barePatches.map((p) => p.id),
        );
        return {
          zh: `可绿化区域绿化覆盖率为${percent(ratio)}，未达到${quote('greenRatio', t.greenRatio)}，尚有裸露地表${m2(a.bare)}（${coverage.patches ?? 0}处≥${t.minPatchM2}m²${refs ? `，附图编号${refs}` : ''}）`,
          en: `Green coverage ${percent(ratio)} is below ${quote('greenRatio', t.greenRatio)}; ${m2(a.bare)} of bare ground remain (${coverage.patches ?? 0} patches ≥ ${t.minPatchM2} m²${refs ? `, numbered ${refs} on the map` : ''})`,
        };
      },
      { zh: '对裸露区域（见附图编号斑块）覆土复绿，补植乔灌草，确保可绿化区域全部绿化', en: 'Cover and re-green the bare patches shown on the map; plant trees, shrubs and grass until the greenable area is fully green' },
    );
  },
};

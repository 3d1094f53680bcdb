/** R2.3 平台覆土不低于30cm: soil thickness on the platforms from the DEMs before and after. */
import { platformSoil } from '../../terrain/index.js';
import { type CheckDef, notAssessedResult, polygonFeature, verdict } from '../check.js';
import { quote } from '../options.js';

export const R2_3: CheckDef = {
  id: 'R2.3',
  row: 2,
  title: (t) => ({ zh: `平台覆土不低于${quote('minSoilM', t.minSoilM)}`, en: `Platform soil at least ${quote('minSoilM', t.minSoilM)}` }),
  needs: ['soil'],
  map: { colour: '#7b3294', legend: { zh: '覆土不足处', en: 'Thin platform soil' } },
  async run(ctx) {
    const { t, manifest } = ctx;
    const before = ctx.file(manifest.soil!.before);
    const after = ctx.file(manifest.soil!.after);
    // Without a platform layer, the license's flat cells stand in for the platforms.
    const platforms = await ctx.zones('platforms');
    const soil = platforms
      ? await platformSoil(platforms, before, after, { minThicknessM: t.minSoilM, cache: ctx.blocks })
      : await platformSoil(ctx.licenses, before, after, { minThicknessM: t.minSoilM, maxSlopeDeg: t.maxPlatformSlopeDeg, cache: ctx.blocks });
    ctx.findings.push(...soil.findings);
    if (soil.pass === null) return notAssessedResult({ code: 'TERRAIN_PLATFORM_OUTSIDE', zh: '没有可采样的平台', en: 'no platform could be sampled' });
    const failing = soil.platforms.filter((p) => p.pass === false);
    return verdict(
      failing.length > 0,
      {
        values: { platforms: soil.platforms.length, failing: failing.length, thinnestM: Math.min(...soil.platforms.map((p) => p.minM ?? Infinity)) },
        threshold: { minSoilM: t.minSoilM },
        evidence: failing.flatMap((p) => p.thinPatches.map((c) => polygonFeature('R2.3', c, { platform: p.id }))),
      },
      () => ({
        zh: `${failing.length}个平台覆土不足${quote('minSoilM', t.minSoilM)}（平台${failing.map((p) => p.id).join('、')}）`,
        en: `${failing.length} platform(s) with soil under ${quote('minSoilM', t.minSoilM)} (${failing.map((p) => p.id).join(', ')})`,
      }),
      { zh: `对覆土不足处补充覆土至${quote('minSoilM', t.minSoilM)}以上后复绿`, en: `Top up the soil to at least ${quote('minSoilM', t.minSoilM)} where thin, then re-green` },
    );
  },
};

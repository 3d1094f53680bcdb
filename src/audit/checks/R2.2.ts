/** R2.2 露天矿山裸露终了边坡不超过2个: exposed final slopes counted against the limit in force. */
import { exposedSlopes, exposedSlopesInZones } from '../../terrain/index.js';
import { type CheckDef, m2, mapRefs, polygonFeature, verdict } from '../check.js';

/** The rule: no more exposed final slopes than the limit. */
export function exposedSlopesPass(count: number, limit: number): boolean {
  return count <= limit;
}

export const R2_2: CheckDef = {
  id: 'R2.2',
  row: 2,
  title: (t) => ({ zh: `露天矿山裸露终了边坡不超过${t.maxExposedSlopes}个`, en: `At most ${t.maxExposedSlopes} exposed final slopes` }),
  needs: ['classes', 'dem'],
  map: { colour: '#cc79a7', legend: { zh: '裸露终了边坡（编号）', en: 'Exposed final slopes (numbered)' }, numbered: 'S' },
  async run(ctx) {
    const { t, manifest } = ctx;
    const options = { minSlopeDeg: t.minSlopeDeg, minAreaM2: t.minSlopeAreaM2, limit: t.maxExposedSlopes, scheme: await ctx.scheme(), classes: { cache: ctx.blocks }, dem: { cache: ctx.blocks } };
    const classes = ctx.file(ctx.latest.path);
    const dem = ctx.file(manifest.dem!);
    // With a final-slope layer the design's slopes are judged (zone mode); otherwise bare steep ground is grouped.
    const zones = await ctx.zones('finalSlopes');
    const slopes = zones ? await exposedSlopesInZones(classes, dem, zones, options) : await exposedSlopes(classes, dem, ctx.licenses, options);
    ctx.findings.push(...slopes.findings);
    return verdict(
      !exposedSlopesPass(slopes.count, t.maxExposedSlopes),
      {
        values: { count: slopes.count, bareSlopePlanarM2: slopes.bareSlopeAreaM2.planar, bareSlopeSurfaceM2: slopes.bareSlopeAreaM2.surface, connectivity: 8 },
        threshold: { maxExposedSlopes: t.maxExposedSlopes, minSlopeDeg: t.minSlopeDeg, minSlopeAreaM2: t.minSlopeAreaM2 },
        evidence: slopes.slopes.map((s) => polygonFeature('R2.2', s.outline, { slope: s.id, areaM2: s.areaM2, surfaceAreaM2: s.surfaceAreaM2, meanSlopeDeg: s.meanSlopeDeg })),
      },
      () => {
        const refs = mapRefs(
          'S',
          slopes.slopes.map((s) => s.id),
        );
        return {
          zh: `裸露终了边坡${slopes.count}个（超过${t.maxExposedSlopes}个${refs ? `，附图编号${refs}` : ''}），裸露坡面面积${m2(slopes.bareSlopeAreaM2.surface)}`,
          en: `${slopes.count} exposed final slopes (limit ${t.maxExposedSlopes}${refs ? `; ${refs} on the map` : ''}), ${m2(slopes.bareSlopeAreaM2.surface)} of bare slope surface`,
        };
      },
      { zh: '对编号边坡采用挂网喷播、鱼鳞坑种植等方式复绿', en: 'Re-green the numbered slopes (netting and hydroseeding, planting pits)' },
    );
  },
};

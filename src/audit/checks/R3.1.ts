/** R3.1 裸露山体最小化: bare ground inside the license, and whether it grew since the previous survey. */
import { type CheckDef, m2, polygonFeature } from '../check.js';

export const R3_1: CheckDef = {
  id: 'R3.1',
  row: 3,
  title: () => ({ zh: '裸露山体最小化', en: 'Bare mountain surface kept to a minimum' }),
  needs: ['classes'],
  map: { colour: '#e69f00', legend: { zh: '新增裸露 / 复绿（两期对比）', en: 'Newly bare / re-greened since the previous survey' } },
  async run(ctx) {
    const coverage = await ctx.coverage();
    const a = coverage.areaM2;
    const insideBare = coverage.beforeExclusionM2.bare;
    const c = await ctx.change();
    const previous = ctx.previous;
    const grew = c !== null && c.bareNowM2 > c.bareBeforeM2;
    const reportOnly = insideBare > 0 && !c;
    return {
      status: grew ? 'fail' : 'pass',
      values: {
        bareInsideLicenseM2: insideBare,
        bareOutsideExclusionsM2: a.bare,
        surveys: ctx.manifest.classes?.length ?? 0,
        ...(c && previous ? { bareBeforeM2: c.bareBeforeM2, bareNowM2: c.bareNowM2, newBareM2: c.newBareM2, regreenedM2: c.regreenedM2, since: previous.date ?? previous.path } : {}),
      },
      threshold: { rule: c ? 'bare area outside the excluded zones must not grow between surveys' : 'reported (one survey)' },
      problem: grew
        ? {
            zh: `与上期相比，裸露面积由${m2(c!.bareBeforeM2)}增至${m2(c!.bareNowM2)}，新增裸露${m2(c!.newBareM2)}`,
            en: `Bare area grew from ${m2(c!.bareBeforeM2)} to ${m2(c!.bareNowM2)} since the previous survey (${m2(c!.newBareM2)} newly bare)`,
          }
        : reportOnly
          ? { zh: `矿区范围内裸露面积${m2(insideBare)}`, en: `${m2(insideBare)} of bare ground inside the license` }
          : null,
      measure: grew || reportOnly ? { zh: '按开采计划控制剥离范围，新增裸露区域及时复绿或覆盖三维植被网', en: 'Limit stripping to the plan; re-green or net newly bared ground' } : null,
      evidence: (c?.patches ?? []).map((p) => polygonFeature('R3.1', p.outline, { kind: p.kind, patch: p.id, areaM2: p.areaM2 })),
    };
  },
};

/** R5.1 矿区范围边界电子围栏，越界及时预警: excursions of working machines beyond the boundary or below the floor. */
import { type CheckDef, iso, trackFeature, verdict } from '../check.js';

export const R5_1: CheckDef = {
  id: 'R5.1',
  row: 5,
  title: () => ({ zh: '矿区范围边界电子围栏，越界及时预警', en: 'Electronic fence along the boundary, timely out-of-bounds alarms' }),
  needs: ['tracks'],
  map: { colour: '#0072b2', legend: { zh: '越界轨迹', en: 'Fence excursions' } },
  async run(ctx) {
    const { t } = ctx;
    const devices = (await ctx.tracks()).filter((x) => x.type !== 'truck').length;
    const events = (await ctx.fenceEvents()).fence;
    const maxDistanceM = Math.max(0, ...events.map((x) => x.e.maxDistanceM ?? 0));
    return {
      ...verdict(
        events.length > 0,
        {
          values: { devices, excursions: events.filter((x) => x.e.type !== 'below-floor').length, belowFloor: events.filter((x) => x.e.type === 'below-floor').length, maxDistanceM },
          threshold: { fenceToleranceM: t.fenceToleranceM, minExcursionFixes: t.minExcursionFixes },
          evidence: events.map(({ e, track }) => trackFeature('R5.1', track, e)),
        },
        () => ({ zh: `作业设备越界${events.length}次，最远${maxDistanceM.toFixed(1)}m`, en: `${events.length} excursion(s) beyond the licensed boundary, up to ${maxDistanceM.toFixed(1)} m` }),
        { zh: '立即停止越界作业，完善电子围栏越界报警并落实处置', en: 'Stop work beyond the boundary; make the fence alarms act' },
      ),
      events: events.map(({ e }) => ({ type: e.type, device: e.device, start: iso(e.startS, ctx.loaded.timeZone), end: iso(e.endS, ctx.loaded.timeZone), durationS: e.durationS, fixes: e.fixes, maxDistanceM: e.maxDistanceM })),
    };
  },
};

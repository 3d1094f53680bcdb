/** R3.3 矿区范围外无开采破坏: bare ground in a ring outside the license. */
import { type CheckDef, m2, notAssessedResult, verdict } from '../check.js';

export const R3_3: CheckDef = {
  id: 'R3.3',
  row: 3,
  title: () => ({ zh: '矿区范围外无开采破坏', en: 'No disturbance outside the licensed boundary' }),
  needs: ['classes'],
  async run(ctx) {
    const { t } = ctx;
    const outside = (await ctx.coverage()).outsideLicense;
    if (outside === null) return notAssessedResult({ code: 'RASTER_BAD_OPTION', zh: '矿区外检查带宽为0', en: 'the buffer outside the license is 0 m (thresholds.bufferM)' });
    return verdict(
      outside.bareM2 > t.maxOutsideBareM2,
      { values: { bufferM: outside.bufferM, bareOutsideM2: outside.bareM2, nongreenableOutsideM2: outside.nongreenableM2 }, threshold: { maxOutsideBareM2: t.maxOutsideBareM2 }, evidence: [] },
      () => ({ zh: `矿区范围外${outside.bufferM}m内有裸露地表${m2(outside.bareM2)}`, en: `${m2(outside.bareM2)} of bare ground within ${outside.bufferM} m outside the license` }),
      { zh: '查明越界破坏原因，清理外溢渣土并复绿', en: 'Find the cause, clear spilled spoil and re-green outside the boundary' },
    );
  },
};

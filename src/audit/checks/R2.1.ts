/** R2.1 治理区域无岩石土壤裸露: bare ground on the restored platforms. */
import { measureCoverage } from '../../raster/index.js';
import { type CheckDef, m2, verdict } from '../check.js';

export const R2_1: CheckDef = {
  id: 'R2.1',
  row: 2,
  title: () => ({ zh: '治理区域无岩石土壤裸露', en: 'No bare rock or soil in restored areas' }),
  needs: ['classes', 'platforms'],
  async run(ctx) {
    const { t } = ctx;
    const result = await measureCoverage(ctx.file(ctx.latest.path), ctx.licenses, { greenable: await ctx.zones('platforms'), bufferM: 0, scheme: await ctx.scheme(), cache: ctx.blocks });
    const bare = result.areaM2.bare;
    return verdict(
      bare > t.maxRestoredBareM2,
      { values: { bareInRestoredM2: bare, restoredM2: result.areaM2.license }, threshold: { maxRestoredBareM2: t.maxRestoredBareM2 }, evidence: [] },
      () => ({ zh: `已治理平台上仍有裸露${m2(bare)}`, en: `${m2(bare)} bare on restored platforms` }),
      { zh: '对平台裸露处补充覆土并复绿', en: 'Add soil and re-green the bare parts of the platforms' },
    );
  },
};

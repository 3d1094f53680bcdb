/** R4.2 车辆驶离矿区必须进行有效冲洗: trucks that leave without a wash dwell. */
import { detectWashViolations, FenceIndex } from '../../fence/index.js';
import { type CheckDef, trackFeature, verdict } from '../check.js';

export const R4_2: CheckDef = {
  id: 'R4.2',
  row: 4,
  title: () => ({ zh: '车辆驶离矿区必须进行有效冲洗', en: 'Vehicles leaving the site are washed' }),
  needs: ['trucks', 'wash'],
  map: { colour: '#009e73', legend: { zh: '未冲洗驶离轨迹', en: 'Trucks leaving unwashed' } },
  async run(ctx) {
    const { t } = ctx;
    const trucks = (await ctx.tracks()).filter((x) => x.type === 'truck');
    const fence = await ctx.fence();
    const wash = FenceIndex.build((await ctx.zones('wash'))!);
    const exitZones = await ctx.zones('exits');
    const exits = exitZones ? FenceIndex.build(exitZones) : undefined;
    const v = trucks.flatMap(({ track }) => detectWashViolations(fence, wash, track, { minWashS: t.minWashS, withinS: t.washWithinS, toleranceM: t.fenceToleranceM }, exits).map((e) => ({ e, track })));
    return verdict(
      v.length > 0,
      { values: { trucks: trucks.length, unwashedExits: v.length }, threshold: { minWashS: t.minWashS, washWithinS: t.washWithinS }, evidence: v.map(({ e, track }) => trackFeature('R4.2', track, e)) },
      () => ({ zh: `车辆未冲洗驶离矿区${v.length}次`, en: `${v.length} exit(s) without washing` }),
      { zh: '出口设置洗车平台并实行驶离前冲洗登记', en: 'Enforce washing at the exit before leaving' },
    );
  },
};

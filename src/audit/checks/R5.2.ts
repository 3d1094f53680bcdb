/** R5.2 人员车辆实时定位: positioning gaps longer than the limit in force. */
import { type CheckDef, iso, verdict } from '../check.js';

export const R5_2: CheckDef = {
  id: 'R5.2',
  row: 5,
  title: () => ({ zh: '人员车辆实时定位', en: 'Real-time positioning of people and vehicles' }),
  needs: ['tracks'],
  async run(ctx) {
    const { t } = ctx;
    const devices = (await ctx.tracks()).length;
    const gaps = (await ctx.fenceEvents()).gaps;
    const longest = Math.max(0, ...gaps.map((g) => g.e.durationS));
    return {
      ...verdict(
        gaps.length > 0,
        { values: { devices, gaps: gaps.length, longestGapS: longest }, threshold: { maxGapS: t.maxGapS }, evidence: [] },
        () => ({ zh: `定位数据中断${gaps.length}次，最长${longest.toFixed(0)}秒`, en: `${gaps.length} positioning gap(s), longest ${longest.toFixed(0)} s` }),
        { zh: '检修定位终端与数据链路，确保实时上报', en: 'Repair the positioning terminals and data links' },
      ),
      events: gaps.map(({ e }) => ({ device: e.device, start: iso(e.startS, ctx.loaded.timeZone), end: iso(e.endS, ctx.loaded.timeZone), durationS: e.durationS })),
    };
  },
};

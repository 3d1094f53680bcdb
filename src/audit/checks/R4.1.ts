/** R4.1 粉尘实时监测与超标报警: over-limit alarms and monitor completeness. */
import { type CheckDef, iso } from '../check.js';
import type { AuditContext } from '../context.js';

/** The dust alarms as report events (shared with R5.4). */
export async function dustAlarms(ctx: AuditContext): Promise<Array<{ type: string; device: string; start: string; end: string; peakUgM3: number; meanUgM3: number }>> {
  return (await ctx.dust()).alarms.map((a) => ({ type: 'dust-alarm', device: a.station, start: iso(a.start, ctx.loaded.timeZone), end: iso(a.end, ctx.loaded.timeZone), peakUgM3: a.peakUgM3, meanUgM3: a.meanUgM3 }));
}

export const R4_1: CheckDef = {
  id: 'R4.1',
  row: 4,
  title: () => ({ zh: '粉尘实时监测与超标报警', en: 'Dust monitoring with over-limit alarms' }),
  needs: ['sensors'],
  async run(ctx) {
    const { t } = ctx;
    const report = await ctx.dust();
    const alarms = await dustAlarms(ctx);
    const silent = report.stations.filter((st) => st.silent);
    const minCompleteness = Math.min(1, ...report.stations.map((st) => st.completeness));
    const fail = alarms.length > 0 || silent.length > 0;
    const rule = report.rule;
    const parts: Array<{ zh: string; en: string }> = [];
    const peak = Math.max(...report.alarms.map((a) => a.peakUgM3)).toFixed(0);
    if (alarms.length)
      parts.push({
        zh: `粉尘超标报警${alarms.length}次（${rule.pollutant} ${rule.windowMin}分钟${rule.window === 'rolling' ? '滑动' : '时段'}均值限值${rule.limitUgM3}μg/m³），峰值${peak}μg/m³`,
        en: `${alarms.length} over-limit alarm(s) (${rule.name}), peak ${peak} µg/m³`,
      });
    if (silent.length)
      parts.push({
        zh: `监测站${silent.map((st) => st.id).join('、')}数据不完整（低于${(t.minMonitorCompleteness * 100).toFixed(0)}%）`,
        en: `monitor(s) ${silent.map((st) => st.id).join(', ')} below ${(t.minMonitorCompleteness * 100).toFixed(0)} % of expected readings`,
      });
    return {
      status: fail ? 'fail' : 'pass',
      values: { stations: report.stations.length, alarms: alarms.length, minCompleteness, rule: rule.name },
      threshold: { limitUgM3: rule.limitUgM3, windowMin: rule.windowMin, allowedPerDay: rule.allowedPerDay ?? 0, minMonitorCompleteness: t.minMonitorCompleteness },
      problem: fail ? { zh: parts.map((p) => p.zh).join('；'), en: parts.map((p) => p.en).join('; ') } : null,
      measure: fail ? { zh: '加强喷淋降尘与道路保洁，修复离线监测设备并确保超标报警联动', en: 'Step up dust suppression and road cleaning; repair silent monitors and link alarms to action' } : null,
      evidence: [],
      events: alarms,
    };
  },
};

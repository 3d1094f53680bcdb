/** R5.4 重点部位粉尘监测超标报警: monitors at the key positions, their alarms and completeness. */
import type { CheckDef } from '../check.js';
import { dustAlarms } from './R4.1.js';

export const R5_4: CheckDef = {
  id: 'R5.4',
  row: 5,
  title: () => ({ zh: '重点部位粉尘监测超标报警', en: 'Dust monitors at key positions alarm' }),
  needs: ['sensors', 'keyPositions'],
  async run(ctx) {
    const report = await ctx.dust();
    const alarms = await dustAlarms(ctx);
    const silent = report.stations.filter((st) => st.silent);
    const unmonitored = report.keyPositions.filter((k) => !k.covered);
    const keyStations = new Set(report.keyPositions.filter((k) => k.covered).map((k) => k.station));
    const keyAlarms = alarms.filter((a) => keyStations.has(a.device));
    const keySilent = silent.filter((st) => keyStations.has(st.id));
    const fail = unmonitored.length > 0 || keyAlarms.length > 0 || keySilent.length > 0;
    const parts: Array<{ zh: string; en: string }> = [];
    if (unmonitored.length) parts.push({ zh: `${unmonitored.map((k) => k.role).join('、')}未设粉尘监测`, en: `no monitor at ${unmonitored.map((k) => k.role).join(', ')}` });
    if (keyAlarms.length) parts.push({ zh: `重点部位超标报警${keyAlarms.length}次`, en: `${keyAlarms.length} alarm(s) at key positions` });
    if (keySilent.length) parts.push({ zh: `重点部位监测站${keySilent.map((st) => st.id).join('、')}数据不完整`, en: `key monitor(s) ${keySilent.map((st) => st.id).join(', ')} incomplete` });
    return {
      status: fail ? 'fail' : 'pass',
      values: { keyPositions: report.keyPositions.length, unmonitored: unmonitored.length, alarms: keyAlarms.length },
      threshold: { keyDistanceM: ctx.manifest.sensors?.keyDistanceM ?? 100, limitUgM3: report.rule.limitUgM3 },
      problem: fail ? { zh: parts.map((p) => p.zh).join('；'), en: parts.map((p) => p.en).join('; ') } : null,
      measure: fail ? { zh: '在加工、运输、边界等重点部位设置在线粉尘监测并联动报警', en: 'Install online dust monitors at the processing plant, haul roads and boundary, with alarms' } : null,
      evidence: [],
      events: [...report.keyPositions.map((k) => ({ type: 'key-position', ...k })), ...keyAlarms],
    };
  },
};

/** The requirements of the form that only an inspection on site can judge: listed on the form, never marked passed. */
export const ON_SITE = [
  { id: 'R1.2', row: 1, zh: '矿区界线、大门与门卫，标识标牌、警示牌、绿色矿山旗帜，道路整洁，物料堆放有序（需现场核查）', en: 'Site boundary, gate and guard, signs and flag, tidy roads and storage (on-site check)' },
  { id: 'R2.4', row: 2, zh: '喷灌或滴灌设施，植物群落与周边协调、可自我维持（需现场核查）', en: 'Irrigation installed; self-sustaining plant communities (on-site check)' },
  {
    id: 'R4.3',
    row: 4,
    zh: '加工封闭、皮带廊道封闭、道路硬化保洁、车辆苫盖，雨污分流与废水回用，表土与废石综合利用（需现场核查）',
    en: 'Enclosed processing and conveyors, hardened roads, covered trucks, water recycling, waste reuse (on-site check)',
  },
  { id: 'R5.5', row: 5, zh: '数据中心与一屏展示，生产数据自动采集（需现场核查）', en: 'Data centre and single-screen display, automatic production data (on-site check)' },
  { id: 'R6.1', row: 6, zh: '管理制度、组织与培训、职工宿舍及文体设施、统一着装、社区共建（需现场核查）', en: 'Management systems, training, dormitories and facilities, uniforms, community work (on-site check)' },
];

export const ON_SITE_IDS = new Set(ON_SITE.map((o) => o.id));

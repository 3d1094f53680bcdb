/** R5.3 视频监控全覆盖: the share of the license the cameras see (line of sight on the DEM when there is one). */
import { type CheckDef, m2, percent, polygonFeature, verdict } from '../check.js';
import { quote } from '../options.js';

export const R5_3: CheckDef = {
  id: 'R5.3',
  row: 5,
  title: (t) => ({
    zh: t.minVideoCoverage >= 1 ? '视频监控全覆盖' : `视频监控覆盖不低于${quote('minVideoCoverage', t.minVideoCoverage)}`,
    en: t.minVideoCoverage >= 1 ? 'Video surveillance of the whole mining area' : `Video surveillance of at least ${quote('minVideoCoverage', t.minVideoCoverage)} of the mining area`,
  }),
  needs: ['cameras'],
  map: { colour: '#56b4e9', legend: { zh: '视频监控未覆盖区域', en: 'Not seen by any camera' }, outline: true },
  async run(ctx) {
    const { t } = ctx;
    const r = await ctx.cameraCoverage();
    // Cells along the license edge are cut by view boundaries: a share within 0.1 % of the threshold passes.
    return {
      ...verdict(
        r.coveredShare < t.minVideoCoverage - 1e-3,
        {
          values: { mode: r.mode, cameras: r.cameras.length, coveredShare: r.coveredShare, coveredM2: r.coveredM2, licenseM2: r.licenseM2, uncoveredM2: r.uncoveredM2 },
          threshold: { minVideoCoverage: t.minVideoCoverage },
          evidence: r.uncovered.features.map((f) => polygonFeature('R5.3', f.geometry.coordinates, { areaM2: f.properties.areaM2, kind: 'uncovered' })),
        },
        () => ({ zh: `视频监控覆盖矿区${percent(r.coveredShare)}，${m2(r.uncoveredM2)}未覆盖`, en: `cameras see ${percent(r.coveredShare)} of the license; ${m2(r.uncoveredM2)} unseen` }),
        { zh: '在未覆盖区域增设或调整监控摄像头，实现矿区视频全覆盖', en: 'Add or re-aim cameras to cover the unseen parts' },
      ),
      events: r.cameras.map((cam) => ({ type: 'camera', ...cam })),
    };
  },
};

/**
 * R3.2 暂不开采区域和运输道路两侧应复绿；暂时无法复绿的裸露区域应采用三维植被网覆盖:
 * the strip on both sides of the haul roads and the ground not mined for now
 * must be green, or netted where it cannot be greened yet. Bare ground under
 * a net counts as covered (and is reported apart); below the allowance a bare
 * area is noise.
 */
import { crsFromEpsg } from '../../crs/index.js';
import { licensesToGeoJson, loadLines } from '../../license/index.js';
import { bareChange, measureCoverage, measureRoadside } from '../../raster/index.js';
import { deriveRoads } from '../../track/index.js';
import { type CheckDef, type EvidenceFeature, m2, polygonFeature, verdict } from '../check.js';

export const R3_2: CheckDef = {
  id: 'R3.2',
  row: 3,
  title: () => ({ zh: '暂不开采区域和运输道路两侧复绿，暂时无法复绿的裸露区域覆盖三维植被网', en: 'Idle ground and both sides of haul roads re-greened; bare ground that cannot be greened yet netted' }),
  needs: ['classes', 'roadsOrIdle'],
  map: { colour: '#f0e442', legend: { zh: '暂不开采区域及其裸露地表', en: 'Idle ground and its bare parts' }, lineLegend: { zh: '运输道路', en: 'Haul roads' } },
  async run(ctx) {
    const { t, manifest } = ctx;
    const classes = ctx.file(ctx.latest.path);
    const netted = await ctx.zones('netted');
    const evidence: EvidenceFeature[] = [];
    let roadside = null as Awaited<ReturnType<typeof measureRoadside>> | null;
    // Roads from the manifest, else derived from the truck tracks (cells passed repeatedly: src/track/roads.ts).
    let roadsSource: 'manifest' | 'tracks' | null = null;
    let roads: number[][][] = [];
    if (manifest.zones?.roads) {
      roads = loadLines(ctx.file(manifest.zones.roads));
      roadsSource = 'manifest';
    } else if ((manifest.tracks ?? []).some((x) => x.type === 'truck')) {
      roads = deriveRoads((await ctx.tracks()).filter((x) => x.type === 'truck').map((x) => x.track));
      roadsSource = 'tracks';
      if (roads.length === 0)
        ctx.findings.push({
          code: 'INPUT_MISSING',
          severity: 'warning',
          message: 'no haul road could be derived from the truck tracks (no cell passed 3 times over 30 m); the roadside strip is not measured',
          where: { file: ctx.manifestPath, path: 'zones.roads' },
        });
    }
    if (roads.length) {
      roadside = await measureRoadside(classes, roads, { halfWidthM: t.roadHalfWidthM, stripM: t.roadsideM, netted, scheme: await ctx.scheme(), cache: ctx.blocks });
      ctx.findings.push(...roadside.findings);
      roads.forEach((line, i) => evidence.push({ type: 'Feature', properties: { finding: 'R3.2', kind: 'road', road: i + 1 }, geometry: { type: 'LineString', coordinates: line } }));
    }
    let idle = null as { m2: number; bareM2: number } | null;
    let idleSource: 'manifest' | 'surveys' | null = null;
    const idleZones = await ctx.zones('idle');
    if (!idleZones && ctx.previous) {
      // Idle ground derived: bare in both surveys, outside the working floor (zones.excluded) and nets, with no track fix within 10 m.
      let worked: Float64Array = new Float64Array(0);
      if ((manifest.tracks?.length ?? 0) > 0) {
        const tracks = await ctx.tracks().catch(() => []);
        const n = tracks.reduce((s, x) => s + x.track.lon.length, 0);
        worked = new Float64Array(2 * n);
        let k = 0;
        for (const { track } of tracks) for (let i = 0; i < track.lon.length; i++) (worked[k++] = track.lon[i]!), (worked[k++] = track.lat[i]!);
      }
      const change = await bareChange(ctx.file(ctx.previous.path), classes, ctx.licenses, {
        exclude: [...((await ctx.zones('excluded')) ?? []), ...(netted ?? [])],
        minPatchM2: t.minPatchM2,
        scheme: await ctx.scheme(),
        worked,
        workedRadiusM: 10,
        cache: ctx.blocks,
      });
      idle = { m2: change.idleBareM2!, bareM2: change.idleBareM2! };
      idleSource = 'surveys';
      for (const p of change.patches.filter((x) => x.kind === 'idle')) evidence.push(polygonFeature('R3.2', p.outline, { kind: 'idle-bare', patch: p.id, areaM2: p.areaM2 }));
    }
    if (idleZones) {
      idleSource = 'manifest';
      const r = await measureCoverage(classes, ctx.licenses, { greenable: idleZones, exclude: netted, bufferM: 0, minPatchM2: t.minPatchM2, scheme: await ctx.scheme(), cache: ctx.blocks });
      idle = { m2: r.areaM2.license, bareM2: r.areaM2.bare };
      for (const f of licensesToGeoJson(idleZones, crsFromEpsg(4326)).features) evidence.push(polygonFeature('R3.2', f.geometry.coordinates, { kind: 'idle' }));
      for (const p of r.barePatches) evidence.push(polygonFeature('R3.2', p.outline, { kind: 'idle-bare', patch: p.id, areaM2: p.areaM2 }));
    }
    const nettedM2 = netted ? (await measureCoverage(classes, ctx.licenses, { greenable: netted, bufferM: 0, scheme: await ctx.scheme(), cache: ctx.blocks })).areaM2.license : 0;
    const roadFail = roadside !== null && roadside.bareM2 > t.maxRoadsideBareM2;
    const idleFail = idle !== null && idle.bareM2 > t.maxIdleBareM2;
    const parts: Array<{ zh: string; en: string }> = [];
    if (roadFail) parts.push({ zh: `运输道路两侧${t.roadsideM}m范围内裸露${m2(roadside!.bareM2)}`, en: `${m2(roadside!.bareM2)} bare within ${t.roadsideM} m of the haul roads` });
    if (idleFail) parts.push({ zh: `暂不开采区域裸露${m2(idle!.bareM2)}`, en: `${m2(idle!.bareM2)} bare on ground not mined for now` });
    return verdict(
      roadFail || idleFail,
      {
        values: {
          roadsSource: roadside ? roadsSource : null,
          roadsideM2: roadside?.stripM2 ?? null,
          roadsideBareM2: roadside?.bareM2 ?? null,
          roadsideUnknownM2: roadside?.unknownM2 ?? null,
          idleSource,
          idleM2: idle?.m2 ?? null,
          idleBareM2: idle?.bareM2 ?? null,
          nettedM2,
        },
        threshold: { roadHalfWidthM: t.roadHalfWidthM, roadsideM: t.roadsideM, maxRoadsideBareM2: t.maxRoadsideBareM2, maxIdleBareM2: t.maxIdleBareM2 },
        evidence,
      },
      () => ({ zh: parts.map((p) => p.zh).join('；'), en: parts.map((p) => p.en).join('; ') }),
      { zh: '对运输道路两侧及暂不开采区域的裸露地表复绿，暂时无法复绿的采用三维植被网覆盖', en: 'Re-green the bare ground along the haul roads and on idle ground; net what cannot be greened yet' },
    );
  },
};

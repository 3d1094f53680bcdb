#!/usr/bin/env bash
# Check greenmine's evidence exports with GDAL/OGR (Debian: apt install gdal-bin): the demo
# audit's shapefiles (CRS recognised as EPSG:4528, GBK attributes decoded), GeoPackage (valid,
# layers and SRS) and KML (one layer per check). Not part of `npm test` (tests need no GDAL);
# run after changing src/export/: bash scripts/check-evidence-ogr.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
npm run build > /dev/null
node dist/src/cli/main.js audit fixtures/demo-mine/mine.json -o "$out" --evidence-format shp,kml,gpkg -q > /dev/null
fail() { echo "FAIL: $*" >&2; exit 1; }
# Shapefile: the .prj is CGCS2000 3-degree GK zone 40 to GDAL; Chinese text survives GBK.
# (Outputs captured first: grep -q closing a pipe early would fail the pipeline under pipefail.)
shp_summary=$(ogrinfo -so "$out/evidence_polygons.shp" evidence_polygons)
shp_features=$(ogrinfo -q "$out/evidence_polygons.shp" evidence_polygons)
grep -q 'CGCS2000 / 3-degree Gauss-Kruger zone 40' <<< "$shp_summary" || fail 'shapefile CRS'
grep -q 'TITLE_ZH (String) = 可绿化区域绿化覆盖率达到100%' <<< "$shp_features" || fail 'shapefile GBK attributes'
n_shp=$(sed -n 's/^Feature Count: //p' <<< "$shp_summary")
# GeoPackage: GDAL opens it without complaint, same features, EPSG:4528.
gpkg_info=$(ogrinfo -so "$out/evidence.gpkg" evidence_polygons 2>&1)
grep -qi 'warning\|error' <<< "$gpkg_info" && fail "GeoPackage warnings: $gpkg_info"
[ "$(sed -n 's/^Feature Count: //p' <<< "$gpkg_info")" = "$n_shp" ] || fail 'GeoPackage feature count'
grep -q 'ID\["EPSG",4528\]' <<< "$gpkg_info" || fail 'GeoPackage CRS'
# KML: one layer per check with evidence.
kml_info=$(ogrinfo -so "$out/evidence.kml")
grep -q 'R1.1 可绿化区域' <<< "$kml_info" || fail 'KML folders'
echo "evidence exports OK with $(ogrinfo --version)"

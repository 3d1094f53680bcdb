#!/usr/bin/python3
"""
The pipeline a user would write for `greenmine coverage` with bare patches, the
anchor of bench/raster.ts (issue #16): rasterio windows + geometry_mask +
bincount for the class areas inside the license, then scipy.ndimage.label on
the bare mask (8-connected) with per-label areas, patches >= min_patch_m2.

  python3 coverage_patches.py <classes.tif> <license.geojson> <bare codes, comma-separated> <min patch m2>

The license GeoJSON is in the raster's CRS. Prints one JSON line: seconds,
class areas, patch count, peak RSS (MiB). Debian: python3-rasterio python3-scipy.
"""
import json
import resource
import sys
import time

import numpy as np
import rasterio
from rasterio.features import geometry_mask
from rasterio.windows import Window
from scipy import ndimage

path, license_path, bare_arg, min_patch = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
bare_codes = [int(v) for v in bare_arg.split(",")]
geometry = json.load(open(license_path))["features"][0]["geometry"]

t0 = time.perf_counter()
with rasterio.open(path) as src:
    counts = np.zeros(256 if src.dtypes[0] == "uint8" else 65536, dtype=np.int64)
    pixel_m2 = abs(src.transform.a * src.transform.e)
    bare = np.zeros((src.height, src.width), dtype=bool)
    step = 2048
    for row in range(0, src.height, step):
        window = Window(0, row, src.width, min(step, src.height - row))
        data = src.read(1, window=window)
        inside = geometry_mask([geometry], out_shape=data.shape, transform=src.window_transform(window), invert=True)
        counts += np.bincount(data[inside], minlength=counts.size)
        bare[row:row + data.shape[0]] = inside & np.isin(data, bare_codes)
    labels, n = ndimage.label(bare, structure=np.ones((3, 3), dtype=bool))
    del bare
    pixels = np.bincount(labels.ravel())[1:]
    patches = int(np.count_nonzero(pixels * pixel_m2 >= min_patch))
seconds = time.perf_counter() - t0
areas = {str(c): float(counts[c] * pixel_m2) for c in np.nonzero(counts)[0]}
print(json.dumps({"seconds": seconds, "areaM2": areas, "patches": patches, "components": int(n), "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))

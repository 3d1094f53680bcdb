"""The pipeline a user writes with rasterio + numpy to classify imagery: read
the image block by block, compute the vegetation index (ExG on chromatic
coordinates of an RGB orthophoto, or NDVI of a blue-green-red-NIR scene), mark
shadow and water with the same rules as greenmine, threshold at a given value
and write the classes as a tiled DEFLATE uint8 GeoTIFF. The benchmark gives it
greenmine's Otsu threshold (rasterio has no Otsu of its own; computing one
would need a second pass).
Usage: classify_rasterio.py <image.tif> <out.tif> <threshold> [exg|ndvi]
"""
import sys

import numpy as np
import rasterio

src_path, out_path, threshold = sys.argv[1], sys.argv[2], float(sys.argv[3])
mode = sys.argv[4] if len(sys.argv) > 4 else 'exg'
with rasterio.open(src_path) as src:
    profile = src.profile.copy()
    profile.update(count=1, dtype='uint8', compress='deflate', tiled=True, blockxsize=512, blockysize=512, nodata=0, photometric='minisblack')
    profile.pop('jpeg_quality', None)
    profile.pop('interleave', None)
    with rasterio.open(out_path, 'w', **profile) as dst:
        for _, window in src.block_windows(1):
            if mode == 'exg':
                rgb = src.read((1, 2, 3), window=window).astype(np.float32) / 255
                r, g, b = rgb
                s = r + g + b
                bright = s / 3
                with np.errstate(invalid='ignore', divide='ignore'):
                    index = np.where(s > 0, (2 * g - r - b) / s, 0)
                water = (b > 1.4 * r) & (b > g) & (bright < 0.35)
                shadow = bright < 0.2
            else:
                b, g, r, n = src.read((1, 2, 3, 4), window=window).astype(np.float32) / 255
                with np.errstate(invalid='ignore', divide='ignore'):
                    index = np.where(n + r > 0, (n - r) / (n + r), 0)
                water = (g + n > 0) & (g - n > 0)
                shadow = (b + g + r + n) / 4 < 0.07
            classes = np.where(index > threshold, 1, 2).astype(np.uint8)
            classes[water] = 3
            classes[shadow & ~water] = 4
            dst.write(classes, 1, window=window)

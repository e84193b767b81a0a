"""zarr-python peer: write a uint8 stack as Zarr v2 with Blosc(zstd, clevel, byte shuffle), then time reading it back; prints MB/s."""
import glob, sys, time, shutil
import numpy as np, tifffile, zarr
from numcodecs import Blosc

src, out, clevel = sys.argv[1], sys.argv[2], int(sys.argv[3])
stack = np.stack([tifffile.imread(f) for f in sorted(glob.glob(src + "/*.tif"))])
shutil.rmtree(out, ignore_errors=True)
z = zarr.open(out, mode="w", shape=stack.shape, chunks=(20, 256, 256), dtype=stack.dtype,
              compressor=Blosc(cname="zstd", clevel=clevel, shuffle=Blosc.SHUFFLE))
z[:] = stack
best = 1e9
for i in range(5):
    t = time.perf_counter()
    back = zarr.open(out, mode="r")[:]
    best = min(best, time.perf_counter() - t)
assert (back == stack).all()
print("read_mbs", stack.nbytes / 1e6 / best)

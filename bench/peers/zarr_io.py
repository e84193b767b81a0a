"""zarr-python peer: write and read a uint8 stack as Zarr v2 with the given codec; prints MB/s."""
import glob, sys, time, shutil
import numpy as np, tifffile, zarr
from numcodecs import Blosc

src, out, codec = sys.argv[1], sys.argv[2], sys.argv[3]
stack = np.stack([tifffile.imread(f) for f in sorted(glob.glob(src + "/*.tif"))])
comp = None if codec == "none" else Blosc(cname="lz4", clevel=5, shuffle=Blosc.SHUFFLE)
mb = stack.nbytes / 1e6
best_w = best_r = 1e9
for i in range(10):
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    z = zarr.open(out, mode="w", shape=stack.shape, chunks=(20, 256, 256), dtype=stack.dtype, compressor=comp)
    z[:] = stack
    best_w = min(best_w, time.perf_counter() - t)
    t = time.perf_counter()
    back = zarr.open(out, mode="r")[:]
    best_r = min(best_r, time.perf_counter() - t)
    assert (back == stack).all()
print("write_mbs", mb / best_w)
print("read_mbs", mb / best_r)

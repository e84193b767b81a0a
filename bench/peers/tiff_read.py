"""tifffile peer: read every TIFF of a folder; prints MB/s (best of 5)."""
import glob, sys, time
import tifffile

files = sorted(glob.glob(sys.argv[1] + "/*.tif"))
best, nbytes = 1e9, 0
for i in range(5):
    t = time.perf_counter()
    nbytes = sum(tifffile.imread(f).nbytes for f in files)
    best = min(best, time.perf_counter() - t)
print("read_mbs", nbytes / 1e6 / best)

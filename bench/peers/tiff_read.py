"""tifffile peer: read every TIFF of a folder, one array per file and as one stacked array; prints MB/s (best of 10)."""
import glob, sys, time
import tifffile

files = sorted(glob.glob(sys.argv[1] + "/*.tif"))
best_files = best_stack = 1e9
nbytes = 0
for i in range(10):
    t = time.perf_counter()
    nbytes = sum(tifffile.imread(f).nbytes for f in files)
    best_files = min(best_files, time.perf_counter() - t)
    t = time.perf_counter()
    tifffile.imread(files)
    best_stack = min(best_stack, time.perf_counter() - t)
print("read_mbs", nbytes / 1e6 / best_files)
print("stack_mbs", nbytes / 1e6 / best_stack)

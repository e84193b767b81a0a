"""OpenCV peer for elastic alignment: chain each section to the previous aligned one with ECC (rigid)
and then DIS optical flow; writes the aligned stack as Zarr v2 (argv[2]) and prints its wall time.

Options, for measuring what the residual against the original can reach at all:
  --rigid          ECC only, no DIS.
  --oracle DIR     no chain: each section is aligned to its *original* predecessor, read from the
                   TIFF folder DIR (the undeformed stack), which no real aligner has."""
import sys, glob, os, time
import numpy as np, cv2, zarr

args = sys.argv[1:]
rigid_only = "--rigid" in args
oracle_dir = args[args.index("--oracle") + 1] if "--oracle" in args else None
src, out = [a for i, a in enumerate(args) if not a.startswith("--") and (i == 0 or args[i - 1] != "--oracle")][:2]
stack = zarr.open(src, mode="r")[:]
oracle = None
if oracle_dir is not None:
    import tifffile
    oracle = np.stack([tifffile.imread(f) for f in sorted(glob.glob(os.path.join(oracle_dir, "*.tif")))])
t = time.perf_counter()
aligned = np.zeros_like(stack)
aligned[0] = stack[0]
dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
h, w = stack.shape[1:]
gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
for z in range(1, stack.shape[0]):
    ref = aligned[z - 1] if oracle is None else oracle[z - 1]
    mov = stack[z]
    warp = np.eye(2, 3, dtype=np.float32)
    try:
        _, warp = cv2.findTransformECC(ref.astype(np.float32), mov.astype(np.float32), warp, cv2.MOTION_EUCLIDEAN,
                                       (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 100, 1e-5), None, 5)
    except cv2.error:
        pass
    rigid = cv2.warpAffine(mov, warp, (w, h), flags=cv2.INTER_LINEAR + cv2.WARP_INVERSE_MAP)
    if rigid_only:
        aligned[z] = rigid
        continue
    flow = dis.calc(ref, rigid, None)
    aligned[z] = cv2.remap(rigid, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR)
seconds = time.perf_counter() - t
z = zarr.open(out, mode="w", shape=aligned.shape, chunks=(1, 512, 512), dtype=aligned.dtype, compressor=None)
z[:] = aligned
print("seconds", seconds)

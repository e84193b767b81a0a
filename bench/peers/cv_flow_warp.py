"""OpenCV peers for issue 3's speed numbers on the ssTEM stack (argv[1], a folder of TIFFs), 2 worker threads:
flow: cv2.phaseCorrelate on 160 px patches at stride 40 for section pairs 0-1, 1-2, 2-3 (patches/s);
warp: cv2.remap INTER_LANCZOS4 of sections 0..3 through the smooth map of bench Scenarios.WarpSpeed (Mpx/s)."""
import sys, time, glob
from concurrent.futures import ThreadPoolExecutor
import numpy as np, cv2, tifffile

files = sorted(glob.glob(sys.argv[1] + "/*.tif"))[:4]
sections = [tifffile.imread(f) for f in files]
P, S = 160, 40
cv2.setNumThreads(1)
pairs = []
for a, b in zip(sections, sections[1:]):
    a, b = a.astype(np.float32), b.astype(np.float32)
    n = (a.shape[0] - P) // S + 1
    for i in range(n):
        for j in range(n):
            pairs.append((np.ascontiguousarray(a[i*S:i*S+P, j*S:j*S+P]), np.ascontiguousarray(b[i*S:i*S+P, j*S:j*S+P])))
best = float("inf")
with ThreadPoolExecutor(2) as ex:
    for r in range(6):
        t = time.perf_counter()
        list(ex.map(lambda p: cv2.phaseCorrelate(p[0], p[1]), pairs))
        best = min(best, time.perf_counter() - t)
print("flow_patches_per_s", len(pairs) / best)

h, w = sections[0].shape
ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
# The map of Scenarios.WarpSpeed: 6 px elastic waves over 150 px plus a 0.5 degree rotation about the centre.
angle = np.deg2rad(0.5)
cx, cy = w / 2, h / 2
mx = (cx + (xs - cx) * np.cos(angle) - (ys - cy) * np.sin(angle) + 6 * np.sin(2 * np.pi * ys / 150)).astype(np.float32)
my = (cy + (xs - cx) * np.sin(angle) + (ys - cy) * np.cos(angle) + 6 * np.sin(2 * np.pi * xs / 150)).astype(np.float32)
cv2.setNumThreads(2)
best = float("inf")
for r in range(6):
    t = time.perf_counter()
    for s in sections:
        cv2.remap(s, mx, my, cv2.INTER_LANCZOS4, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    best = min(best, time.perf_counter() - t)
print("warp_mpx_per_s", len(sections) * h * w / best / 1e6)

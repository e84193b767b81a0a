#!/usr/bin/env bash
# bigstream's feature-based registration flow with the emalign command line: a global affine from blobs, piecewise
# affines on top of it at low resolution, and one resampling of the high-resolution moving volume through both.
#
# usage: ./bigstream-affine.sh [FIXED.n5] [MOVING.n5] [DEST.zarr]
# Each container holds "lowres" (for fitting) and "highres" (to render), as in the bigstream tutorial. Voxel sizes
# come from the metadata; transforms map fixed physical coordinates to moving ones, so low-resolution fits apply
# unchanged at high resolution.
set -euo pipefail
fixed=${1:-./fix.n5}
moving=${2:-./mov.n5}
dest=${3:-./aligned.zarr}

# 1. Global affine (prints JSON with matrix_xyz and the numbers of spots, matches and inliers).
emalign affine "$fixed/lowres" "$moving/lowres" --min-radius 6 --max-radius 20 --match-threshold 0.75 \
    --out global.json --force

# 2. Piecewise affines on 128-voxel blocks, learned after the global affine.
emalign affine "$fixed/lowres" "$moving/lowres" --block-size 128 --initial global.json --out local.json --force > /dev/null

# 3. One resampling through the chain [global, local] (the last transform acts first) onto the fixed high-res grid.
emalign warp "$moving/highres" "$dest" --like "$fixed/highres" --transform global.json --transform local.json --force

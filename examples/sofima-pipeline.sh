#!/usr/bin/env bash
# SOFIMA-style elastic alignment of a section stack from bash: the same engine as sofima-pipeline.ps1, in one verb
# (flows at full and half resolution, cleaning, merging, elastic mesh, rendering at full resolution).
# Runs as is against the output of `emalign demo`:
#   emalign demo --out emalign-demo && examples/sofima-pipeline.sh
# Usage: sofima-pipeline.sh [RAW] [DESTINATION]    (defaults: emalign-demo/raw.zarr, emalign-demo/aligned-sh.zarr)
# EMALIGN names the command to run (default: emalign on PATH, else `dotnet run` of this checkout).
set -euo pipefail

raw="${1:-emalign-demo/raw.zarr}"
dst="${2:-$(dirname "$raw")/aligned-sh.zarr}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ -n "${EMALIGN:-}" ]]; then
    read -r -a emalign <<< "$EMALIGN"
elif command -v emalign > /dev/null; then
    emalign=(emalign)
else
    emalign=(dotnet run -c Release --project "$here/../src/EmAlign.Cli" --)
fi

# The data bounding box, then the whole alignment; flagged sections are listed on stderr (exit code still 0).
"${emalign[@]}" bbox "$raw"
"${emalign[@]}" align-elastic "$raw" "$dst" --bbox --levels 1,2 --patch 160 --stride 40 \
    --format zarr2 --codec zlib --interpolation lanczos --report "$dst.quality.json" --force

# The measured flows on their own, as an alignment store that Import-EmAlignmentState loads in PowerShell.
"${emalign[@]}" flow "$raw" "$(dirname "$dst")/flows-sh" --bbox --levels 1,2 --force

"${emalign[@]}" info "$dst"

#Requires -Version 7.4
<#
.SYNOPSIS
    bigstream's feature-based registration flow with EmAlign: a global affine from blobs, piecewise affines on top of
    it at low resolution, and one resampling of the high-resolution moving volume through both.

.DESCRIPTION
    The fixed and moving containers hold two datasets each, as in the bigstream tutorial: "lowres" (for fitting) and
    "highres" (to render). Voxel sizes come from the metadata (N5: pixelResolution x downsamplingFactors), and every
    transform maps fixed physical coordinates to moving ones, so the low-resolution fit applies at high resolution.

.EXAMPLE
    ./bigstream-affine.ps1 -Fixed ./fix.n5 -Moving ./mov.n5 -Destination ./aligned.zarr
#>
param(
    [string] $Fixed = './fix.n5',
    [string] $Moving = './mov.n5',
    [string] $Destination = './aligned.zarr',
    [int] $BlockSize = 128
)
$ErrorActionPreference = 'Stop'
Import-Module EmAlign

$fix = Get-EmVolume (Join-Path $Fixed 'lowres')
$mov = Get-EmVolume (Join-Path $Moving 'lowres')

# 1. Global affine: LoG blobs of radius 6-20 voxels, neighbourhoods matched above r = 0.75, RANSAC within 2 um.
$global = Invoke-RansacAffine -Fixed $fix -Moving $mov -MinRadius 6 -MaxRadius 20 -MatchThreshold 0.75 -Verbose
$global

# 2. Piecewise affines on blocks of 128 voxels (overlap 0.5), learned after the global affine.
$local = Invoke-RansacAffine -Fixed $fix -Moving $mov -BlockSize $BlockSize -InitialTransform $global -Verbose
$local

# Keep the transforms (JSON, fixed to moving, x, y, z in the data's unit) for `emalign warp` or a later session.
$chain = [EmAlign.Transforms.TransformChain]::new([EmAlign.Transforms.SpatialTransform[]]@($global, $local))
[EmAlign.Transforms.TransformFile]::Save($chain, (Join-Path $PWD 'transform.json'), $true)

# 3. Render the high-resolution moving volume on the high-resolution fixed grid: [global, local], local acting first.
Export-WarpedVolume -Volume (Get-EmVolume (Join-Path $Moving 'highres')) -Like (Get-EmVolume (Join-Path $Fixed 'highres')) `
    -Transform $global, $local -Destination $Destination -Force

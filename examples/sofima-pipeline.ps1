#Requires -Version 7.4
<#
.SYNOPSIS
    SOFIMA-style elastic alignment of a section stack, one cmdlet per step.
.DESCRIPTION
    Crops the stack to its data, measures flow fields at full and half resolution, removes unreliable vectors,
    merges the two resolutions, relaxes the elastic mesh section by section and renders the aligned volume at full
    resolution, then lists the quality of every section. Runs as is against the output of `emalign demo`
    (./emalign-demo/raw.zarr); the engine is the same one `emalign align-elastic` runs (sofima-pipeline.sh).

    With -SaveState the measured flows and the mesh solution are also saved beside the output
    (Export-EmAlignmentState), so a step can be redone later with Import-EmAlignmentState without the ones before it.
.EXAMPLE
    ./examples/sofima-pipeline.ps1
.EXAMPLE
    ./examples/sofima-pipeline.ps1 -Raw ./emalign-demo/raw.zarr -Destination ./emalign-demo/aligned-ps.zarr -SaveState
#>
[CmdletBinding()]
param(
    [string] $Raw = './emalign-demo/raw.zarr',
    [string] $Destination = (Join-Path (Split-Path $Raw) 'aligned-ps.zarr'),
    [switch] $SaveState
)

$ErrorActionPreference = 'Stop'
if (-not (Get-Module EmAlign)) {
    # The module as `./build.ps1 package` lays it out; an installed EmAlign module is used when already imported.
    Import-Module (Join-Path $PSScriptRoot '..' 'module' 'EmAlign' 'EmAlign.psd1')
}

if ($SaveState) {
    $work = Split-Path $Destination
    $result = Get-EmVolume $Raw | Find-DataBoundingBox |
        Measure-FlowField -Level 1, 2 | Export-EmAlignmentState (Join-Path $work 'flows') -Force -PassThru |
        Repair-FlowField | Merge-FlowField |
        Invoke-MeshRelaxation | Export-EmAlignmentState (Join-Path $work 'mesh') -Force -PassThru |
        Export-WarpedVolume -Destination $Destination -Force
}
else {
    $result = Get-EmVolume $Raw | Find-DataBoundingBox | Measure-FlowField -Level 1, 2 | Repair-FlowField |
        Merge-FlowField | Invoke-MeshRelaxation | Export-WarpedVolume -Destination $Destination -Force
}

$result | Format-Table
$result | Measure-EmAlignment | Format-Table

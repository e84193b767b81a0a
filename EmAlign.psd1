# Module manifest for EmAlign: electron-microscopy volume alignment from PowerShell.
# build.ps1 package lays the module out as module/EmAlign (this file, the dlls, formats and help).
@{
    RootModule           = 'EmAlign.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '73560d94-2047-498c-87fc-cee27efd56e9'
    Author               = 'EmAlign developers'
    CompanyName          = 'EmAlign developers'
    Copyright            = '(c) EmAlign developers'
    Description          = 'Open, convert, crop and align electron-microscopy volumes (TIFF, Zarr, N5, WEBKNOSSOS) as typed pipeline objects, with SOFIMA-style elastic section alignment.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.4'
    FormatsToProcess     = @('EmAlign.Format.ps1xml')
    TypesToProcess       = @()
    CmdletsToExport      = @('Get-EmVolume', 'New-EmVolume', 'Export-EmVolume', 'Export-EmPyramid', 'Find-DataBoundingBox', 'Measure-FlowField', 'Repair-FlowField',
        'Merge-FlowField', 'Invoke-MeshRelaxation', 'Export-WarpedVolume', 'Measure-EmAlignment', 'Export-EmAlignmentState', 'Import-EmAlignmentState',
        'Invoke-RansacAffine')
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags = @('ElectronMicroscopy', 'Zarr', 'N5', 'TIFF', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
        }
    }
}

#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The cmdlet pipeline in a real PowerShell: run by `./build.ps1 test` (which packages module/EmAlign first)
# on hosts with pwsh. The same decisions are unit-tested without PowerShell in tests/EmAlign.PowerShell.Tests.

BeforeAll {
    $root = Resolve-Path (Join-Path $PSScriptRoot '..' '..')
    Import-Module (Join-Path $root 'module' 'EmAlign' 'EmAlign.psd1') -Force
    # Real data to work on: the engine's demo writes a synthetic stack with a black border as Zarr v2.
    $demo = Join-Path $TestDrive 'demo'
    & dotnet run -c Release --project (Join-Path $root 'src' 'EmAlign.Cli') -- demo --out $demo | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "emalign demo failed with exit code $LASTEXITCODE" }
    $raw = Join-Path $demo 'raw.zarr'
}

AfterAll {
    Remove-Module EmAlign -ErrorAction SilentlyContinue
}

Describe 'Module' {
    It 'exports exactly its cmdlets' {
        (Get-Command -Module EmAlign).Name | Sort-Object | Should -Be @(
            'Export-EmAlignmentState', 'Export-EmVolume', 'Export-WarpedVolume', 'Find-DataBoundingBox', 'Get-EmVolume', 'Import-EmAlignmentState',
            'Invoke-MeshRelaxation', 'Measure-EmAlignment', 'Measure-FlowField', 'Merge-FlowField', 'New-EmVolume', 'Repair-FlowField')
    }

    It 'has help with a synopsis, examples and text for every parameter of <_>' -ForEach @(
        'Get-EmVolume', 'New-EmVolume', 'Export-EmVolume', 'Find-DataBoundingBox', 'Measure-FlowField', 'Repair-FlowField', 'Merge-FlowField',
        'Invoke-MeshRelaxation', 'Export-WarpedVolume', 'Measure-EmAlignment', 'Export-EmAlignmentState', 'Import-EmAlignmentState') {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
        foreach ($p in (Get-Command $_).Parameters.Values | Where-Object { $_.Name -notin [System.Management.Automation.PSCmdlet]::CommonParameters -and $_.Name -notin [System.Management.Automation.PSCmdlet]::OptionalCommonParameters }) {
            ($help.Parameters.Parameter | Where-Object Name -EQ $p.Name).Description.Text | Should -Not -BeNullOrEmpty -Because "-$($p.Name) needs help"
        }
    }

    It 'completes -Format and -Codec from the engine' {
        $formats = (TabExpansion2 'Export-EmVolume -Format za' 26).CompletionMatches.CompletionText
        $formats | Should -Contain 'zarr2'
        (TabExpansion2 'New-EmVolume -Codec zl' 22).CompletionMatches.CompletionText | Should -Contain 'zlib'
    }
}

Describe 'Get-EmVolume' {
    It 'opens a volume as a view with sizes x, y, z' {
        $v = Get-EmVolume $raw
        $v | Should -BeOfType ([EmAlign.Volumes.VolumeView])
        $v.Format | Should -Be 'zarr2'
        $v.DataType | Should -Be 'UInt8'
        $v.SizeZ | Should -Be 8
        $v.Box | Should -BeNullOrEmpty
    }

    It 'shows the default table view' {
        Get-EmVolume $raw | Format-Table | Out-String | Should -Match 'Size \(x y z\)'
    }

    It 'takes paths with brackets through -LiteralPath and from Get-ChildItem' {
        $odd = Join-Path $TestDrive 'run [1]'
        New-Item -ItemType Directory $odd | Out-Null
        Copy-Item $raw (Join-Path $odd 'raw.zarr') -Recurse
        (Get-EmVolume -LiteralPath (Join-Path $odd 'raw.zarr')).SizeZ | Should -Be 8
        (Get-ChildItem -LiteralPath $odd -Directory | Get-EmVolume).SizeZ | Should -Be 8
    }

    It 'reports a missing path as a non-terminating VolumeNotFound error naming it' {
        $missing = Join-Path $TestDrive 'missing.zarr'
        $out = Get-EmVolume $missing, $raw -ErrorVariable err -ErrorAction SilentlyContinue
        @($out).Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'VolumeNotFound,EmAlign.PowerShell.GetEmVolumeCommand'
        $err[0].TargetObject | Should -Be $missing
    }

    It 'rejects giving -Level and -Mag together' {
        { Get-EmVolume $raw -Level 0 -Mag 1 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidArgument,EmAlign.PowerShell.GetEmVolumeCommand'
    }
}

Describe 'Find-DataBoundingBox | Export-EmVolume' {
    It 'crops a volume to its data' {
        $dst = Join-Path $TestDrive 'cropped.zarr'
        $view = Get-EmVolume $raw | Find-DataBoundingBox
        $view.Box | Should -Not -BeNullOrEmpty
        $view.Box.SizeX | Should -BeLessThan (Get-EmVolume $raw).SizeX
        $result = $view | Export-EmVolume $dst -Format zarr2 -Codec zlib -ChunkSize 128, 128, 4
        $result | Should -BeOfType ([EmAlign.Volumes.CopyResult])
        $copy = Get-EmVolume $dst
        @($copy.SizeX, $copy.SizeY, $copy.SizeZ) | Should -Be @($view.Box.SizeX, $view.Box.SizeY, $view.Box.SizeZ)
    }

    It 'does nothing under -WhatIf' {
        $dst = Join-Path $TestDrive 'whatif.zarr'
        Get-EmVolume $raw | Export-EmVolume $dst -Format zarr2 -WhatIf
        Test-Path $dst | Should -BeFalse
    }

    It 'refuses an existing output without -Force and replaces it with -Force' {
        $dst = Join-Path $TestDrive 'twice.zarr'
        Get-EmVolume $raw | Export-EmVolume $dst -Format zarr2 | Out-Null
        Get-EmVolume $raw | Export-EmVolume $dst -Format zarr2 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'OutputExists,EmAlign.PowerShell.ExportEmVolumeCommand'
        $err[0].TargetObject | Should -Be $dst
        (Get-EmVolume $raw | Export-EmVolume $dst -Format zarr2 -Force).Path | Should -Be $dst
        Get-ChildItem $TestDrive -Filter '*.partial-*' | Should -BeNullOrEmpty
    }
}

Describe 'New-EmVolume' {
    It 'creates an empty volume with sizes given x, y, z' {
        $path = Join-Path $TestDrive 'new.n5'
        $v = New-EmVolume $path -Format n5 -DataType UInt16 -Size 300, 200, 10 -ChunkSize 64, 64, 8 -Codec gzip -VoxelSize 4, 4, 40
        @($v.SizeX, $v.SizeY, $v.SizeZ) | Should -Be @(300, 200, 10)
        $v.VoxelSize.Z | Should -Be 40
        (Get-EmVolume $path).DataType | Should -Be 'UInt16'
    }

    It 'creates nothing under -WhatIf' {
        $path = Join-Path $TestDrive 'whatif.n5'
        New-EmVolume $path -Format n5 -DataType UInt8 -Size 10, 10, 10 -WhatIf
        Test-Path $path | Should -BeFalse
    }
}

Describe 'Elastic alignment' {
    BeforeAll {
        # Smaller patches than SOFIMA's 160 keep the runs short on the demo's 640 px sections.
        $measured = Get-EmVolume $raw | Find-DataBoundingBox | Measure-FlowField -Level 1, 2 -PatchSize 96 -Stride 32
    }

    It 'measures flows of every section at both factors' {
        $measured | Should -BeOfType ([EmAlign.Alignment.FlowFieldSet])
        $measured.State | Should -Be 'Measured'
        $measured.Sections | Should -Be 8
        $measured.Factors | Should -Be @(1, 2)
        $measured | Format-Table | Out-String | Should -Match 'Patch/Stride'
    }

    It 'runs the SOFIMA pipeline into a volume of the input''s shape with a quality row per section' {
        $dst = Join-Path $TestDrive 'aligned.zarr'
        $result = $measured | Repair-FlowField | Merge-FlowField | Invoke-MeshRelaxation | Export-WarpedVolume -Destination $dst
        $result | Should -BeOfType ([EmAlign.Alignment.RenderResult])
        $aligned = Get-EmVolume $dst
        $source = Get-EmVolume $raw
        @($aligned.SizeX, $aligned.SizeY, $aligned.SizeZ) | Should -Be @($source.SizeX, $source.SizeY, $source.SizeZ)
        $quality = $result | Measure-EmAlignment
        @($quality).Count | Should -Be 8
        $quality[0].Status | Should -Be 'reference'
        @($quality | Where-Object Status -EQ 'few-flow-vectors').Count | Should -Be 0
        $quality[1..7].ResidualP95 | ForEach-Object { $_ | Should -BeLessThan 3 }
        $quality | Format-Table | Out-String | Should -Match 'NCC before -> after'
    }

    It 'saves and loads flows and solutions exactly, and resumes from them' {
        $flows = Join-Path $TestDrive 'flows'
        $measured | Export-EmAlignmentState $flows
        $loaded = Import-EmAlignmentState $flows
        $loaded.State | Should -Be 'Measured'
        $loaded.DeltaZ | Should -Be $measured.DeltaZ
        $mesh = Join-Path $TestDrive 'mesh'
        $solution = $loaded | Repair-FlowField | Merge-FlowField | Invoke-MeshRelaxation | Export-EmAlignmentState $mesh -PassThru
        $solution | Should -BeOfType ([EmAlign.Alignment.MeshSolution])
        $rows = Import-EmAlignmentState -LiteralPath $mesh | Measure-EmAlignment -MaxResidual 100
        @($rows | Where-Object Status -EQ 'large-residual').Count | Should -Be 0
        { $measured | Export-EmAlignmentState $flows -ErrorAction Stop } | Should -Throw -ErrorId 'OutputExists,EmAlign.PowerShell.ExportEmAlignmentStateCommand'
    }

    It 'says which steps are missing when the mesh gets flows that are not merged' {
        { $measured | Invoke-MeshRelaxation -ErrorAction Stop } | Should -Throw -ExpectedMessage '*Repair-FlowField | Merge-FlowField*'
    }

    It 'renders nothing under -WhatIf' {
        $dst = Join-Path $TestDrive 'whatif-aligned.zarr'
        $measured | Repair-FlowField | Merge-FlowField | Invoke-MeshRelaxation | Export-WarpedVolume -Destination $dst -WhatIf
        Test-Path $dst | Should -BeFalse
    }
}

#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, demonstrates and packages EmAlign.
.DESCRIPTION
    build    dotnet build of the solution, then regenerates the cmdlet help (module/en-US/*.dll-Help.xml)
             from the cmdlet metadata and src/EmAlign.PowerShell/Help/*.md.
    test     dotnet test of the solution; then, where Pester 5 is installed, packages the module and runs
             tests/Pester against it.
    demo     runs `emalign demo` (synthetic stack -> Zarr -> data bounding box -> elastic alignment -> residual)
             into ./out/demo (ignored by git).
    package  dotnet publish of the cmdlet assembly laid out as the installable module folder module/EmAlign
             (EmAlign.psd1, dlls, EmAlign.Format.ps1xml, en-US help); copy that folder into a PSModulePath
             folder (for scheduled tasks: $env:ProgramFiles\PowerShell\Modules) or Import-Module it directly.
    CI machines without pwsh run the same steps with dotnet directly (see .ci/run).
.EXAMPLE
    ./build.ps1 package; Import-Module ./module/EmAlign/EmAlign.psd1
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('build', 'test', 'demo', 'package')]
    [string] $Task = 'build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$moduleFolder = Join-Path $root 'module' 'EmAlign'

function Invoke-Dotnet {
    & dotnet @args
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($args -join ' ') failed with exit code $LASTEXITCODE." }
}

function Invoke-Build {
    Invoke-Dotnet build (Join-Path $root 'EmAlign.slnx') -c $Configuration
    # The help generator is a test over the built assembly: with EMALIGN_UPDATE_HELP=1 it rewrites the MAML.
    $env:EMALIGN_UPDATE_HELP = '1'
    try {
        Invoke-Dotnet test (Join-Path $root 'tests' 'EmAlign.PowerShell.Tests') -c $Configuration --no-build --filter 'FullyQualifiedName~HelpTests'
    }
    finally {
        Remove-Item Env:EMALIGN_UPDATE_HELP
    }
}

function Invoke-Package {
    if (Test-Path $moduleFolder) { Remove-Item $moduleFolder -Recurse -Force }
    Invoke-Dotnet publish (Join-Path $root 'src' 'EmAlign.PowerShell') -c $Configuration -o $moduleFolder
    $expected = 'EmAlign.psd1', 'EmAlign.PowerShell.dll', 'EmAlign.Core.dll', 'EmAlign.Format.ps1xml', (Join-Path 'en-US' 'EmAlign.PowerShell.dll-Help.xml')
    foreach ($file in $expected) {
        if (-not (Test-Path (Join-Path $moduleFolder $file))) { throw "The module layout lacks $file." }
    }
    # PowerShell supplies System.Management.Automation; a reference copy in the module would shadow it.
    if (Test-Path (Join-Path $moduleFolder 'System.Management.Automation.dll')) { throw 'The module layout must not contain System.Management.Automation.dll.' }
    $manifest = Test-ModuleManifest (Join-Path $moduleFolder 'EmAlign.psd1')
    Write-Host "Packaged EmAlign $($manifest.Version) in $moduleFolder"
}

function Invoke-Test {
    Invoke-Dotnet test (Join-Path $root 'EmAlign.slnx') -c $Configuration
    $pester = Get-Module -ListAvailable Pester | Where-Object Version -GE ([version] '5.0') | Select-Object -First 1
    if (-not $pester) {
        Write-Warning 'Pester 5 is not installed (Install-Module Pester -MinimumVersion 5.0): tests/Pester skipped.'
        return
    }
    Invoke-Package
    # A separate process, so the freshly built module (and its dlls) are not locked in this session.
    & pwsh -NoProfile -NonInteractive -Command "Import-Module Pester -MinimumVersion 5.0; `$r = Invoke-Pester -Path '$(Join-Path $root 'tests' 'Pester')' -CI -PassThru; exit `$r.FailedCount"
    if ($LASTEXITCODE -ne 0) { throw "Pester reported $LASTEXITCODE failed test(s)." }
}

function Invoke-Demo {
    Invoke-Dotnet run -c $Configuration --project (Join-Path $root 'src' 'EmAlign.Cli') -- demo --out (Join-Path $root 'out' 'demo')
}

switch ($Task) {
    'build' { Invoke-Build }
    'test' { Invoke-Test }
    'demo' { Invoke-Demo }
    'package' { Invoke-Package }
}

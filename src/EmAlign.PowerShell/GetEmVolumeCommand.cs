using System.Management.Automation;
using EmAlign.FrontEnds;
using EmAlign.Volumes;

namespace EmAlign.PowerShell;

/// <summary>Get-EmVolume: opens volumes by path and writes a <see cref="VolumeView"/> (a lazy handle, no voxels) per volume.</summary>
[Cmdlet(VerbsCommon.Get, "EmVolume", DefaultParameterSetName = PathSet)]
[OutputType(typeof(VolumeView))]
public sealed class GetEmVolumeCommand : EmCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    [Parameter]
    [ValidateRange(0, 64)]
    public int? Level { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Mag { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Layer { get; set; }

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (var path in ResolveInputPaths(literal ? LiteralPath : Path, literal))
            ForInput(path, () => WriteObject(VolumeCommands.Open(path, Level, Mag, Layer)));
    }
}

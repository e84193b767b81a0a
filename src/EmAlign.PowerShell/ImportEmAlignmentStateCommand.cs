using System.Management.Automation;
using EmAlign.Alignment;

namespace EmAlign.PowerShell;

/// <summary>Import-EmAlignmentState: loads alignment stores saved by Export-EmAlignmentState or `emalign flow`.</summary>
[Cmdlet(VerbsData.Import, "EmAlignmentState", DefaultParameterSetName = PathSet)]
[OutputType(typeof(FlowFieldSet), typeof(MeshSolution))]
public sealed class ImportEmAlignmentStateCommand : EmCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private const int ActivityId = 0x49_53; // "IS"

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (var path in ResolveInputPaths(literal ? LiteralPath : Path, literal))
            ForInput(path, () => WriteObject(RunEngine(ActivityId, (progress, ct) => AlignmentStore.Load(path, progress, ct))));
    }
}

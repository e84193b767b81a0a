using System.Management.Automation;
using EmAlign.Alignment;

namespace EmAlign.PowerShell;

/// <summary>
/// Measure-EmAlignment: the quality of an elastic alignment, one SectionQuality row per section: from a RenderResult
/// (Export-WarpedVolume, with the neighbour correlation after alignment) or from a MeshSolution before rendering.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "EmAlignment", DefaultParameterSetName = RenderSet)]
[OutputType(typeof(SectionQuality))]
public sealed class MeasureEmAlignmentCommand : EmCmdlet
{
    private const string RenderSet = "Render";
    private const string SolutionSet = "Solution";

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = RenderSet)]
    [ValidateNotNull]
    public RenderResult? InputObject { get; set; }

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = SolutionSet)]
    [ValidateNotNull]
    public MeshSolution? Solution { get; set; }

    [Parameter(ParameterSetName = SolutionSet)]
    [ValidateRange(0.0, 1e6)]
    public double MaxResidual { get; set; } = MeshSolution.DefaultMaxResidual;

    [Parameter(ParameterSetName = SolutionSet)]
    [ValidateRange(0.0, 1.0)]
    public double MinValidFraction { get; set; } = MeshSolution.DefaultMinValidFraction;

    protected override void ProcessRecord()
    {
        if (InputObject is { } result) WriteObject(result.Sections, enumerateCollection: true);
        else if (Solution is { } solution) ForInput(solution, () => WriteObject(solution.Assess(MaxResidual, MinValidFraction), enumerateCollection: true));
    }
}

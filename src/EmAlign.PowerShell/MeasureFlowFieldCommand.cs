using System.Management.Automation;
using EmAlign.Alignment;
using EmAlign.Flow;
using EmAlign.FrontEnds;
using EmAlign.Volumes;

namespace EmAlign.PowerShell;

/// <summary>
/// Measure-FlowField: measures the flow field of every section of a volume view to its predecessor at each
/// downsampling factor (SOFIMA's patch-based cross-correlation), streaming sections, and writes a FlowFieldSet.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "FlowField")]
[OutputType(typeof(FlowFieldSet))]
public sealed class MeasureFlowFieldCommand : EmCmdlet
{
    private const int ActivityId = 0x4D_46; // "MF"

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public VolumeView? InputObject { get; set; }

    [Parameter]
    [ValidateCount(1, 8)]
    [ValidateRange(1, 64)]
    public int[] Level { get; set; } = [.. AlignmentCommands.Defaults.Levels];

    [Parameter]
    [ValidateRange(8, 4096)]
    public int PatchSize { get; set; } = AlignmentCommands.Defaults.PatchSize;

    [Parameter]
    [ValidateRange(1, 4096)]
    public int Stride { get; set; } = AlignmentCommands.Defaults.Stride;

    [Parameter]
    public CorrelationMode Correlation { get; set; } = AlignmentCommands.Defaults.Correlation;

    [Parameter]
    public SubPixelRefinement SubPixel { get; set; } = AlignmentCommands.Defaults.SubPixel;

    [Parameter]
    [ValidateRange(1, 100)]
    public int MaxDeltaZ { get; set; } = AlignmentCommands.Defaults.MaxDeltaZ;

    protected override void ProcessRecord()
    {
        if (InputObject is not { } view) return;
        ForInput(view, () =>
        {
            var options = AlignmentCommands.MeasureOptions(Level, PatchSize, Stride, Correlation, SubPixel, MaxDeltaZ);
            var flows = RunEngine(ActivityId, (progress, ct) => StackFlow.Measure(view, options, progress, ct));
            WriteVerbose($"{view.Path}: flows of {flows.Sections} sections at factors {string.Join(", ", flows.Factors)}; sections compared further back: {flows.DeltaZ.Count(d => d > 1)}.");
            WriteObject(flows);
        });
    }
}

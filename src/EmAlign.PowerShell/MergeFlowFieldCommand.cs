using System.Management.Automation;
using EmAlign.Alignment;
using EmAlign.FrontEnds;

namespace EmAlign.PowerShell;

/// <summary>
/// Merge-FlowField: reconciles the cleaned levels of a flow field set into one flow per section on the finest
/// grid, the finest preferred (SOFIMA reconcile_flows).
/// </summary>
[Cmdlet(VerbsData.Merge, "FlowField")]
[OutputType(typeof(FlowFieldSet))]
public sealed class MergeFlowFieldCommand : EmCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public FlowFieldSet? InputObject { get; set; }

    [Parameter]
    [ValidateRange(0.0, 1e6)]
    public double MaxGradient { get; set; } = AlignmentCommands.Defaults.Reconcile.MaxGradient;

    [Parameter]
    [ValidateRange(0.0, 1e6)]
    public double MaxDeviation { get; set; } = AlignmentCommands.Defaults.Reconcile.MaxDeviation;

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MinPatchSize { get; set; } = AlignmentCommands.Defaults.Reconcile.MinPatchSize;

    protected override void ProcessRecord()
    {
        if (InputObject is not { } flows) return;
        ForInput(flows, () => WriteObject(StackFlow.Merge(flows, AlignmentCommands.ReconcileOptions(MaxGradient, MaxDeviation, MinPatchSize))));
    }
}

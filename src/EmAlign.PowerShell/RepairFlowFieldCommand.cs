using System.Management.Automation;
using EmAlign.Alignment;
using EmAlign.FrontEnds;

namespace EmAlign.PowerShell;

/// <summary>Repair-FlowField: removes unreliable vectors from measured flow fields at every level (SOFIMA clean_flow).</summary>
[Cmdlet(VerbsDiagnostic.Repair, "FlowField")]
[OutputType(typeof(FlowFieldSet))]
public sealed class RepairFlowFieldCommand : EmCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public FlowFieldSet? InputObject { get; set; }

    [Parameter]
    [ValidateRange(0.0, 1e6)]
    public double MinPeakRatio { get; set; } = AlignmentCommands.Defaults.Clean.MinPeakRatio;

    [Parameter]
    [ValidateRange(0.0, 1e6)]
    public double MinPeakSharpness { get; set; } = AlignmentCommands.Defaults.Clean.MinPeakSharpness;

    [Parameter]
    [ValidateRange(0.0, 1e6)]
    public double MaxMagnitude { get; set; } = AlignmentCommands.Defaults.Clean.MaxMagnitude;

    [Parameter]
    [ValidateRange(0.0, 1e6)]
    public double MaxDeviation { get; set; } = AlignmentCommands.Defaults.Clean.MaxDeviation;

    protected override void ProcessRecord()
    {
        if (InputObject is not { } flows) return;
        ForInput(flows, () =>
        {
            var options = AlignmentCommands.CleanOptions(MinPeakRatio, MinPeakSharpness, MaxMagnitude, MaxDeviation);
            var cleaned = StackFlow.Clean(flows, options);
            WriteVerbose($"Kept {Kept(cleaned)} of {Kept(flows)} flow vectors at factor {flows.Factors[0]}.");
            WriteObject(cleaned);
        });
    }

    private static int Kept(FlowFieldSet set) => Enumerable.Range(0, set.Sections).Sum(z => set.ValidCount(0, z));
}

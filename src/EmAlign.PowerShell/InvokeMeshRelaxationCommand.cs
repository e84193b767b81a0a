using System.Management.Automation;
using EmAlign.Alignment;
using EmAlign.FrontEnds;

namespace EmAlign.PowerShell;

/// <summary>
/// Invoke-MeshRelaxation: relaxes an elastic mesh per section, in z order, so that it follows the merged flows to
/// the already aligned sections (SOFIMA's sequential alignment chain), and writes the MeshSolution with the
/// inverse maps rendering needs. Computes in memory only; Export-EmAlignmentState saves the result.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "MeshRelaxation")]
[OutputType(typeof(MeshSolution))]
public sealed class InvokeMeshRelaxationCommand : EmCmdlet
{
    private const int ActivityId = 0x4D_52; // "MR"

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public FlowFieldSet? InputObject { get; set; }

    [Parameter]
    [ValidateRange(0.0, 1e6)]
    public double K0 { get; set; } = AlignmentCommands.Defaults.Mesh.K0;

    [Parameter]
    [ValidateRange(0.0, 1e6)]
    public double K { get; set; } = AlignmentCommands.Defaults.Mesh.K;

    [Parameter]
    [ValidateRange(1e-12, 1e6)]
    public double Dt { get; set; } = AlignmentCommands.Defaults.Mesh.Dt;

    [Parameter]
    [ValidateRange(1e-12, 1e6)]
    public double StopVMax { get; set; } = AlignmentCommands.Defaults.Mesh.StopVMax;

    [Parameter]
    [ValidateRange(1L, long.MaxValue)]
    public long MaxIters { get; set; } = AlignmentCommands.Defaults.Mesh.MaxIters;

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int BlockLength { get; set; } = AlignmentCommands.Defaults.BlockLength;

    protected override void ProcessRecord()
    {
        if (InputObject is not { } flows) return;
        ForInput(flows, () =>
        {
            var options = AlignmentCommands.RelaxOptions(flows, K0, K, Dt, StopVMax, MaxIters, BlockLength);
            var solution = RunEngine(ActivityId, (progress, ct) => StackMesh.Relax(flows, options, progress, ct));
            WriteVerbose($"{solution.Sections} sections relaxed; worst 95th-percentile residual {solution.WorstResidual:0.00} px.");
            WriteObject(solution);
        });
    }
}

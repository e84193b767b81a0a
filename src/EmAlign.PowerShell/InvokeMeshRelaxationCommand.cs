using System.Management.Automation;
using EmAlign.Alignment;
using EmAlign.FrontEnds;

namespace EmAlign.PowerShell;

/// <summary>
/// Invoke-MeshRelaxation: relaxes an elastic mesh per section, in z order, so that it follows the merged flows to
/// the already aligned sections (SOFIMA's sequential alignment chain), and writes the MeshSolution with the
/// inverse maps rendering needs; -RefinePasses then re-measures the flows between the warped sections and composes
/// the solve on them. Computes in memory only; Export-EmAlignmentState saves the result.
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

    [Parameter]
    [ValidateRange(0, 5)]
    public int RefinePasses { get; set; } = AlignmentCommands.Defaults.RefinePasses;

    protected override void ProcessRecord()
    {
        if (InputObject is not { } flows) return;
        ForInput(flows, () =>
        {
            var options = AlignmentCommands.RelaxOptions(flows, K0, K, Dt, StopVMax, MaxIters, BlockLength);
            var solution = RunEngine(ActivityId, (progress, ct) =>
            {
                var solved = StackMesh.Relax(flows, options, progress, ct);
                if (RefinePasses == 0) return solved;
                // Refining reads the sections again, from the volume the flows were measured on.
                var view = AlignmentCommands.OpenSourceView(flows.Region);
                using var volume = view.Volume;
                for (int pass = 0; pass < RefinePasses; pass++) solved = StackMesh.Refine(view, solved, options, progress, ct);
                return solved;
            });
            WriteVerbose($"{solution.Sections} sections relaxed; worst 95th-percentile residual {solution.WorstResidual:0.00} px.");
            WriteObject(solution);
        });
    }
}

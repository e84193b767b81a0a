using System.Management.Automation;
using EmAlign.Alignment;
using EmAlign.FrontEnds;

namespace EmAlign.PowerShell;

/// <summary>
/// Export-EmAlignmentState: saves a FlowFieldSet or a MeshSolution as an alignment store (a folder with
/// alignment.json and Zarr v2 arrays), so the alignment can go on later with Import-EmAlignmentState.
/// </summary>
[Cmdlet(VerbsData.Export, "EmAlignmentState", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(FlowFieldSet), typeof(MeshSolution))]
public sealed class ExportEmAlignmentStateCommand : EmCmdlet
{
    private const int ActivityId = 0x41_53; // "AS"

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public IAlignmentState? InputObject { get; set; }

    /// <summary>Taken literally (a new item has no name to match), like New-Item's -Path.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject is not { } state || ResolveLiteralPath(Path) is not { } target) return;
        ForInput(state, () =>
        {
            VolumeCommands.CheckWritable(target, Force);
            if (!ShouldProcess(target, $"Save {state}")) return;
            RunEngine(ActivityId, (progress, ct) => AlignmentStore.Save(state, target, Force, progress, ct));
            if (PassThru) WriteObject(state);
        });
    }
}

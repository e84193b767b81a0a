using System.Management.Automation;
using EmAlign.FrontEnds;
using EmAlign.Volumes;

namespace EmAlign.PowerShell;

/// <summary>
/// Export-EmVolume: copies a volume view (its working level, and its Box when set) into a new volume of any
/// format, chunk by chunk; the output appears under its name only when complete.
/// </summary>
[Cmdlet(VerbsData.Export, "EmVolume", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CopyResult))]
public sealed class ExportEmVolumeCommand : EmCmdlet
{
    private const int ActivityId = 0x45_78; // "Ex": one progress bar per cmdlet

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public VolumeView? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    [Parameter(Mandatory = true)]
    [ArgumentCompleter(typeof(FormatNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Format { get; set; } = "";

    [Parameter]
    [ArgumentCompleter(typeof(CodecNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Codec { get; set; } = "none";

    [Parameter]
    public int? CodecLevel { get; set; }

    [Parameter]
    [ValidateCount(3, 3)]
    public int[]? ChunkSize { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject is not { } view || ResolveLiteralPath(Destination) is not { } target) return;
        ForInput(view, () =>
        {
            var options = VolumeCommands.CopyOptions(view, Format, Codec, CodecLevel, ChunkSize, Force);
            VolumeCommands.CheckWritable(target, Force);
            if (!ShouldProcess(target, $"Export {view} as {Format}")) return;
            WriteObject(RunEngine(ActivityId, (progress, ct) => VolumeCopier.Copy(view.Volume, target, options, progress, ct)));
        });
    }
}

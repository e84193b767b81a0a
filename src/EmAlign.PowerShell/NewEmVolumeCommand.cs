using System.Management.Automation;
using EmAlign.Formats;
using EmAlign.FrontEnds;
using EmAlign.Volumes;

namespace EmAlign.PowerShell;

/// <summary>New-EmVolume: creates an empty volume (metadata only; unwritten chunks read as the fill value).</summary>
[Cmdlet(VerbsCommon.New, "EmVolume", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VolumeView))]
public sealed class NewEmVolumeCommand : EmCmdlet
{
    /// <summary>Taken literally (a new item has no name to match), like New-Item's -Path.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true)]
    [ArgumentCompleter(typeof(FormatNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Format { get; set; } = "";

    [Parameter(Mandatory = true)]
    public DataType DataType { get; set; }

    [Parameter(Mandatory = true)]
    [ValidateCount(3, 3)]
    public long[] Size { get; set; } = [];

    [Parameter]
    [ValidateCount(3, 3)]
    public int[]? ChunkSize { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(CodecNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Codec { get; set; } = "none";

    [Parameter]
    public int? CodecLevel { get; set; }

    [Parameter]
    [ValidateCount(1, 3)]
    public double[]? VoxelSize { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Unit { get; set; } = "nanometer";

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (ResolveLiteralPath(Path) is not { } target) return;
        ForInput(target, () =>
        {
            var options = VolumeCommands.CreateOptions(DataType, Size, ChunkSize, Codec, CodecLevel, VoxelSize, Unit, Force);
            VolumeCommands.CheckWritable(target, Force);
            if (!ShouldProcess(target, $"Create {Format} volume ({VolumeCommands.Describe(options)})")) return;
            WriteObject(new VolumeView(VolumeFormats.Create(Format, target, options)));
        });
    }
}

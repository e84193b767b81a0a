using System.Management.Automation;
using EmAlign.FrontEnds;
using EmAlign.Volumes;

namespace EmAlign.PowerShell;

/// <summary>
/// Find-DataBoundingBox: finds the box of a volume that holds data (minimum projection on a coarse level,
/// blur, Otsu threshold, dilation, largest component) and writes the input view with its Box set to it.
/// </summary>
[Cmdlet(VerbsCommon.Find, "DataBoundingBox")]
[OutputType(typeof(VolumeView))]
public sealed class FindDataBoundingBoxCommand : EmCmdlet
{
    private const int ActivityId = 0x42_62; // "Bb"

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public VolumeView? InputObject { get; set; }

    [Parameter]
    [ValidateRange(0, 64)]
    public int? Level { get; set; }

    [Parameter]
    [ValidateRange(0.0, 1000.0)]
    public double Sigma { get; set; } = 2;

    [Parameter]
    [ValidateRange(0, 1000)]
    public int DilationIterations { get; set; } = 2;

    protected override void ProcessRecord()
    {
        if (InputObject is not { } view) return;
        ForInput(view, () =>
        {
            var options = VolumeCommands.BoundingBoxOptions(view, Level, Sigma, DilationIterations);
            var result = RunEngine(ActivityId, (progress, ct) => DataBoundingBoxFinder.Find(view.Volume, options, progress, ct));
            WriteVerbose($"{view.Path}: data box {result.Box} (mag-1 voxels), found at level {result.Level} (mag {result.Mag}) with threshold {result.Threshold:g4}.");
            WriteObject(VolumeCommands.WithDataBox(view, result));
        });
    }
}

using System.Management.Automation;
using EmAlign.Formats.WebKnossos;
using EmAlign.FrontEnds;
using EmAlign.Volumes;

namespace EmAlign.PowerShell;

/// <summary>
/// Export-EmPyramid: computes the coarser levels (mags) of the piped volume in place (OME-Zarr v3 groups, WEBKNOSSOS
/// layers), or, with -Dataset and -Layer, writes the piped volume as a new WEBKNOSSOS layer together with its pyramid.
/// New levels and layers are listed in the metadata only once complete.
/// </summary>
[Cmdlet(VerbsData.Export, "EmPyramid", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = InPlaceSet)]
[OutputType(typeof(DownsampleResult), ParameterSetName = [InPlaceSet])]
[OutputType(typeof(AddLayerResult), ParameterSetName = [LayerSet])]
public sealed class ExportEmPyramidCommand : EmCmdlet
{
    private const string InPlaceSet = "InPlace";
    private const string LayerSet = "Layer";
    private const int ActivityId = 0x50_79; // "Py"

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public VolumeView? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = LayerSet)]
    [ValidateNotNullOrEmpty]
    public string Dataset { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = LayerSet)]
    [ValidateNotNullOrEmpty]
    public string Layer { get; set; } = "";

    [Parameter(ParameterSetName = LayerSet)]
    [ValidateSet("color", "segmentation")]
    public string Category { get; set; } = "color";

    [Parameter(ParameterSetName = LayerSet)]
    [ValidateSet("zarr3", "wkw")]
    public string DataFormat { get; set; } = "zarr3";

    [Parameter(ParameterSetName = LayerSet)]
    [ArgumentCompleter(typeof(CodecNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Codec { get; set; }

    [Parameter(ParameterSetName = LayerSet)]
    public int? CodecLevel { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Level { get; set; }

    [Parameter]
    public PyramidMode Mode { get; set; } = PyramidMode.Anisotropic;

    [Parameter(ParameterSetName = InPlaceSet)]
    [ValidateRange(1, 1 << 20)]
    public int? Coarsest { get; set; }

    [Parameter]
    public DownsampleFilter? Filter { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject is not { } view) return;
        ForInput(view, () =>
        {
            if (ParameterSetName == LayerSet)
            {
                if (ResolveLiteralPath(Dataset) is not { } dataset) return;
                var options = PyramidCommands.LayerOptions(Layer, Category, DataFormat, Codec, CodecLevel, Level, Mode, Filter, Force);
                if (!ShouldProcess($"{dataset} layer {Layer}", $"Write {view} as a WEBKNOSSOS layer with its mags")) return;
                WriteObject(RunEngine(ActivityId, (progress, ct) => WebKnossosLayers.Add(view.Volume, view.Level, view.Box, dataset, options, progress, ct)));
            }
            else
            {
                var options = PyramidCommands.DownsampleOptions(Level, Mode, Coarsest, Filter, Force);
                // A view's path opens the same volume again (a WEBKNOSSOS view's is dataset/layer).
                if (!ShouldProcess(view.Path, "Add the coarser levels")) return;
                WriteObject(RunEngine(ActivityId, (progress, ct) => Pyramid.Downsample(view.Path, options, progress, ct)));
            }
        });
    }
}

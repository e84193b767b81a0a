using EmAlign.Formats;
using EmAlign.FrontEnds;
using EmAlign.Volumes;

namespace EmAlign.Cli;

/// <summary>`emalign bbox PATH`: the box that holds data, as JSON in mag-1 voxels.</summary>
internal sealed class BboxVerb : Verb
{
    public override string Name => "bbox";

    public override string Summary => "find the box that holds data (JSON, mag-1 voxels)";

    public override string Usage => """
        usage: emalign bbox PATH [--level L] [--sigma S] [--dilations N] [--layer L]

        Finds where PATH holds data (minimum projection on a coarse level, blur, Otsu threshold, dilation,
        largest component) and prints JSON {"x","y","z","size_x","size_y","size_z"} in mag-1 voxels.
        A volume without data is an error (exit 1).

          --level L       level index to search on (default: the coarsest at least 256 voxels wide)
          --sigma S       Gaussian blur of the projection, in voxels of that level (default 2)
          --dilations N   dilations of the thresholded mask (default 2)
          --layer L       the layer of a WEBKNOSSOS dataset
        """;

    public override IReadOnlyCollection<string> ValueOptions => ["--level", "--sigma", "--dilations", "--layer"];

    public override int Run(CliArguments args, CliContext context)
    {
        args.ExpectPositionals("PATH");
        int? level = args.Int("--level", min: 0);
        var defaults = new BoundingBoxOptions();
        var options = defaults with
        {
            Sigma = args.Double("--sigma", min: 0) ?? defaults.Sigma,
            DilationIterations = args.Int("--dilations", min: 0) ?? defaults.DilationIterations,
        };
        using var volume = VolumeFormats.Open(args.Positionals[0], new VolumeOpenOptions { Layer = args.Value("--layer") });
        var view = VolumeView.Select(volume, level); // names the level when it does not exist
        options = options with { Level = level is null ? null : view.Level };
        var result = WithProgress(context, progress => DataBoundingBoxFinder.Find(volume, options, progress, context.Cancellation));
        var box = NoDataFoundException.Require(result, view.Path);
        JsonOutput.Write(context.Out, json => JsonOutput.BoxFields(json, box));
        return 0;
    }
}

using EmAlign.Alignment;
using EmAlign.Formats;
using EmAlign.FrontEnds;
using EmAlign.Volumes;

namespace EmAlign.Cli;

/// <summary>The options `flow` and `align-elastic` share: which level of which volume, and how flows are measured (SOFIMA's names and defaults).</summary>
internal static class AlignmentArguments
{
    public static readonly string[] ValueOptions = ["--levels", "--patch", "--stride", "--max-delta-z", "--level", "--layer"];

    public static readonly string[] Flags = ["--bbox"];

    /// <summary>Usage lines of the shared options (indented like the verbs' own).</summary>
    public const string Help = """
          --levels F,F         downsampling factors of the working level at which flows are measured (default 1,2)
          --patch N            patch size in pixels of each factor (default 160)
          --stride N           flow grid and mesh node spacing in pixels (default 40)
          --max-delta-z N      how many sections back a section may look for its reference past a damaged one (default 2)
          --level L            working level index of SRC: flows and mesh are computed there (default 0, the finest)
          --bbox               work on the box of SRC that holds data only (as `emalign bbox` finds it), not all of SRC
          --layer L            the layer of a WEBKNOSSOS dataset
        """;

    /// <summary>The alignment settings from the command line, checked before any volume is opened.</summary>
    public static ElasticAlignmentOptions Options(CliArguments args)
    {
        var defaults = new ElasticAlignmentOptions();
        var options = defaults with
        {
            Levels = args.PositiveInts("--levels", "downsampling factors such as 1,2") ?? defaults.Levels,
            PatchSize = args.Int("--patch", min: 1) ?? defaults.PatchSize,
            Stride = args.Int("--stride", min: 1) ?? defaults.Stride,
            MaxDeltaZ = args.Int("--max-delta-z", min: 1) ?? defaults.MaxDeltaZ,
        };
        options.Validate();
        return options;
    }

    /// <summary>Opens SRC; the caller disposes it.</summary>
    public static EmVolume Open(CliArguments args) => VolumeFormats.Open(args.Positionals[0], new VolumeOpenOptions { Layer = args.Value("--layer") });

    /// <summary>SRC at the working level of --level (named in the error when it does not exist), limited to its data box with --bbox.</summary>
    public static VolumeView View(EmVolume volume, CliArguments args, CliContext context)
    {
        var view = VolumeView.Select(volume, args.Int("--level", min: 0));
        if (!args.Flag("--bbox")) return view;
        using var progress = context.Progress();
        var found = DataBoundingBoxFinder.Find(volume, new BoundingBoxOptions(), progress, context.Cancellation);
        return view.WithBox(NoDataFoundException.Require(found, view.Path));
    }
}

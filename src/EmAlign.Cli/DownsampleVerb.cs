using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Cli;

/// <summary>`emalign downsample PATH`: adds the coarser levels of a stored volume (OME-Zarr v3 group or WEBKNOSSOS layer).</summary>
internal sealed class DownsampleVerb : Verb
{
    public override string Name => "downsample";

    public override string Summary => "add the coarser levels (mags) of an OME-Zarr v3 group or a WEBKNOSSOS layer";

    public override string Usage => """
        usage: emalign downsample PATH [--levels auto|MAGS] [--mode anisotropic|isotropic|constant-z] [--coarsest N] [--filter F] [--layer L] [--force]

        Computes the missing levels of PATH from its finest level, chunk by chunk and in parallel, and lists them in
        the volume's metadata (OME-NGFF multiscales, datasource-properties.json) only once they are complete.
        Prints JSON: path, mags (those computed), filter, voxels (of the finest level), seconds, mvoxels_per_second.

          PATH           a Zarr v3 OME-NGFF image group or a WEBKNOSSOS dataset (or one of its layer folders)
          --levels M     auto (default: the schedule of --mode down to --coarsest) or mags such as 2-2-1,4-4-1,8-8-2
          --mode M       anisotropic (default: keep voxels as isotropic as possible, as WEBKNOSSOS does), isotropic, constant-z
          --coarsest N   largest factor of the coarsest mag (default: about 100 voxels across in x and y, at least 4)
          --filter F     mean, median, mode, nearest or max (default: mode for segmentation layers, else mean)
          --layer L      the layer of a WEBKNOSSOS dataset (default: the first color layer)
          --force        recompute levels that exist already
        """;

    public override IReadOnlyCollection<string> ValueOptions => ["--levels", "--mode", "--coarsest", "--filter", "--layer"];

    public override IReadOnlyCollection<string> Flags => ["--force"];

    public override int Run(CliArguments args, CliContext context)
    {
        args.ExpectPositionals("PATH");
        var options = new DownsampleOptions
        {
            Mags = ParseMags(args.Value("--levels"), "--levels"),
            Mode = ParseMode(args.OneOf("--mode", ["anisotropic", "isotropic", "constant-z"])),
            Coarsest = args.Int("--coarsest", min: 1),
            Filter = ParseFilter(args.OneOf("--filter", FilterNames)),
            Layer = args.Value("--layer"),
            Force = args.Flag("--force"),
        };
        var result = WithProgress(context, progress => Pyramid.Downsample(args.Positionals[0], options, progress, context.Cancellation));
        JsonOutput.Write(context.Out, json =>
        {
            json.WriteString("path", result.Path);
            json.WriteStartArray("mags");
            foreach (var m in result.Computed) json.WriteStringValue(m.ToString());
            json.WriteEndArray();
            json.WriteString("filter", result.Filter.ToString().ToLowerInvariant());
            json.WriteNumber("voxels", result.SourceVoxels);
            json.WriteNumber("seconds", Math.Round(result.Elapsed.TotalSeconds, 3));
            json.WriteNumber("mvoxels_per_second", Math.Round(result.SourceVoxels / 1e6 / Math.Max(1e-9, result.Elapsed.TotalSeconds), 1));
        });
        return 0;
    }

    public static readonly string[] FilterNames = ["mean", "median", "mode", "nearest", "max"];

    /// <summary>"auto" or absent: null (the schedule); "none": no mags; else mags separated by commas or spaces ("2-2-1,4-4-2").</summary>
    public static IReadOnlyList<Mag>? ParseMags(string? text, string option)
    {
        if (text is null || text.Trim() == "auto") return null;
        if (text.Trim() == "none") return [];
        var mags = new List<Mag>();
        foreach (var part in text.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries))
            mags.Add(Mag.TryParse(part, out var m) ? m : throw new UsageException($"{option}: '{part}' is not a mag; expected auto, none, or mags such as 2-2-1,4-4-1"));
        return mags;
    }

    public static DownsampleFilter? ParseFilter(string? name) => name is null ? null : Enum.Parse<DownsampleFilter>(name, ignoreCase: true);

    private static PyramidMode ParseMode(string? name) => name switch
    {
        "isotropic" => PyramidMode.Isotropic,
        "constant-z" => PyramidMode.ConstantZ,
        _ => PyramidMode.Anisotropic,
    };
}

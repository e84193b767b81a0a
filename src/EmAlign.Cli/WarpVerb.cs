using EmAlign.Codecs;
using EmAlign.Formats;
using EmAlign.Transforms;
using EmAlign.Volumes;

namespace EmAlign.Cli;

/// <summary>`emalign warp MOVING DST --like FIXED --transform FILE ...`: resamples a volume through a transform chain onto another's grid.</summary>
internal sealed class WarpVerb : Verb
{
    public override string Name => "warp";

    public override string Summary => "resample a volume through transforms onto another volume's grid";

    public override string Usage => """
        usage: emalign warp MOVING DST --like FIXED --transform FILE [--transform FILE2 ...] [--interpolation linear]
                            [--like-level L] [--moving-level L] [--format F] [--codec C] [--chunks z,y,x] [--force]

        Writes DST on the grid of FIXED (one level of it: size, voxel size, offset) with MOVING's values at T(x), where
        T maps fixed to moving physical coordinates. Several --transform files form a chain in the order given, the LAST
        acting first on fixed points (as bigstream's transform lists: --transform global.json --transform local.json).
        The chain is applied in one resampling, chunk by chunk; DST appears under its name only when complete. The
        output keeps MOVING's data type (rounded and clamped). Prints JSON: path, format, dtype, size (x, y, z),
        moving_level, seconds.

          MOVING, DST          volumes (datasets inside containers too)
          --like FIXED         the volume whose grid DST takes
          --transform FILE     a transform JSON (emalign affine --out) or a .zarr displacement field; repeatable
          --interpolation I    nearest, linear (default) or cubic
          --like-level L       level of FIXED whose grid DST takes (default 0)
          --moving-level L     level of MOVING to sample (default: the coarsest no coarser than the output)
          --format F           output format (default: from DST's extension: .zarr, .n5, .tif)
          --codec C            output codec (default none); --chunks z,y,x the output chunk shape
          --force              replace an existing DST
        """;

    public override IReadOnlyCollection<string> ValueOptions =>
        ["--like", "--interpolation", "--like-level", "--moving-level", "--format", "--codec", "--chunks"];

    public override IReadOnlyCollection<string> RepeatableOptions => ["--transform"];

    public override IReadOnlyCollection<string> Flags => ["--force"];

    public override int Run(CliArguments args, CliContext context)
    {
        args.ExpectPositionals("MOVING", "DST");
        string like = args.Value("--like") ?? throw new UsageException("missing --like FIXED");
        if (args.Values("--transform").Count == 0) throw new UsageException("missing --transform FILE");
        var interpolation = args.OneOf("--interpolation", Enum.GetNames<Interpolation>().Select(n => n.ToLowerInvariant())) is { } i
            ? Enum.Parse<Interpolation>(i, ignoreCase: true) : Interpolation.Linear;
        string? format = args.OneOf("--format", VolumeFormats.All.Select(f => f.Name));
        string codec = args.OneOf("--codec", ChunkCodecs.Names) ?? "none";
        var chunks = args.PositiveInts("--chunks", "z,y,x", 3);
        int likeLevel = args.Int("--like-level", min: 0) ?? 0;
        int? movingLevel = args.Int("--moving-level", min: 0);
        var transform = TransformChain.Of([.. args.Values("--transform").Select(TransformFile.Load)]);

        using var fixedVolume = VolumeFormats.Open(like);
        using var moving = VolumeFormats.Open(args.Positionals[0]);
        var options = new WarpOptions
        {
            Like = fixedVolume,
            LikeLevel = likeLevel,
            MovingLevel = movingLevel,
            Transform = transform,
            Interpolation = interpolation,
            Format = format,
            Codec = codec,
            ChunkShape = chunks,
            Force = args.Flag("--force"),
        };
        var r = WithProgress(context, p => VolumeWarper.Export(moving, args.Positionals[1], options, p, context.Cancellation));
        JsonOutput.Write(context.Out, json =>
        {
            json.WriteString("path", r.Path);
            json.WriteString("format", r.Format);
            json.WriteString("dtype", r.DataType.Name());
            JsonOutput.Numbers(json, "size", new[] { r.Grid.SizeX, r.Grid.SizeY, r.Grid.SizeZ });
            json.WriteNumber("moving_level", r.MovingLevel);
            json.WriteNumber("seconds", Math.Round(r.Elapsed.TotalSeconds, 3));
        });
        return 0;
    }
}

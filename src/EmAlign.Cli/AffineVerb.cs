using EmAlign.Diagnostics;
using EmAlign.Features;
using EmAlign.Formats;
using EmAlign.Transforms;
using EmAlign.Volumes;

namespace EmAlign.Cli;

/// <summary>`emalign affine FIXED MOVING`: bigstream's feature-point (blob + RANSAC) affine, global or piecewise, as JSON.</summary>
internal sealed class AffineVerb : Verb
{
    public override string Name => "affine";

    public override string Summary => "feature-based affine (blobs, correlation, RANSAC), global or piecewise";

    public override string Usage => """
        usage: emalign affine FIXED MOVING [--min-radius 6] [--max-radius 20] [--match-threshold 0.75] [--cc-radius 12]
                              [--nspots 5000] [--align-threshold 2.0] [--seed N] [--fixed-level L] [--moving-level L]
                              [--min-spots 100] [--min-matches 50] [--initial FILE] [--block-size x,y,z] [--overlap 0.5]
                              [--out FILE.json] [--force]

        Finds the affine that maps FIXED physical coordinates to MOVING physical coordinates (x, y, z, in the unit of
        the volumes' voxel size, origin at the centre of voxel 0): LoG blobs in both, the brightest kept, neighbourhoods
        matched by Pearson correlation, a seeded RANSAC refit on its inliers. Prints JSON with "matrix_xyz" (the 4x4,
        rows x, y, z, 1) and the counts of spots, matches and inliers; --out writes the same JSON, which `emalign warp
        --transform` reads. With --block-size it fits one affine per block (on top of --initial) and prints the blended
        local affines instead. Failing checks (too few spots, matches or inliers, a degenerate fit) exit 1 with the reason.

          FIXED, MOVING        volumes (datasets inside containers too: data.n5/lowres); one level of each is read whole
          --min-radius R       smallest blob radius, voxels of the finest axis (default 6)
          --max-radius R       largest blob radius (default 20)
          --match-threshold T  minimum Pearson r of two neighbourhoods (default 0.75)
          --cc-radius R        neighbourhood half-width, voxels of the finest axis (default 12)
          --nspots N           keep the N brightest spots per volume (default 5000)
          --align-threshold D  RANSAC inlier distance in micrometres (default 2.0)
          --seed N             RANSAC seed (default 0): the same inputs and seed give the same result
          --fixed-level L      level index of FIXED to work on (default 0); --moving-level likewise
          --min-spots N        fewer spots is a failure (default 100); --min-matches N likewise (default 50)
          --initial FILE       a transform (JSON) the moving volume is first resampled through; the result acts first
          --block-size x,y,z   piecewise: block size in voxels of the working level (blocks run in parallel)
          --overlap F          piecewise: blend half-width as a fraction of the block (default 0.5)
          --out FILE.json      also write the JSON there (--force replaces an existing file)
        """;

    public override IReadOnlyCollection<string> ValueOptions =>
    [
        "--min-radius", "--max-radius", "--match-threshold", "--cc-radius", "--nspots", "--align-threshold", "--seed",
        "--fixed-level", "--moving-level", "--min-spots", "--min-matches", "--initial", "--block-size", "--overlap", "--out",
    ];

    public override IReadOnlyCollection<string> Flags => ["--force"];

    public override int Run(CliArguments args, CliContext context)
    {
        args.ExpectPositionals("FIXED", "MOVING");
        var d = new FeatureAlignOptions();
        var options = d with
        {
            Spots = d.Spots with
            {
                MinRadius = args.Double("--min-radius", min: 0) ?? d.Spots.MinRadius,
                MaxRadius = args.Double("--max-radius", min: 0) ?? d.Spots.MaxRadius,
                NSpots = args.Int("--nspots", min: 1) ?? d.Spots.NSpots,
            },
            Matching = d.Matching with
            {
                MatchThreshold = args.Double("--match-threshold", min: -1) ?? d.Matching.MatchThreshold,
                CcRadius = args.Int("--cc-radius", min: 1) ?? d.Matching.CcRadius,
            },
            AlignThreshold = args.Double("--align-threshold", min: 0) ?? d.AlignThreshold,
            Seed = args.Int("--seed") ?? d.Seed,
            MinSpots = args.Int("--min-spots", min: 1) ?? d.MinSpots,
            MinMatches = args.Int("--min-matches", min: 4) ?? d.MinMatches,
        };
        options.Validate();
        var blockSize = args.PositiveInts("--block-size", "x,y,z (or one size for all axes)", 1, 3);
        double? overlap = args.Double("--overlap", min: 0);
        if (overlap is not null && blockSize is null) throw new UsageException("--overlap needs --block-size");
        string? outFile = args.Value("--out");
        if (outFile is not null && !args.Flag("--force") && File.Exists(outFile)) throw new OutputExistsException(outFile);
        var initial = args.Value("--initial") is { } init ? TransformFile.Load(init) : null;

        using var fix = VolumeFormats.Open(args.Positionals[0]);
        using var mov = VolumeFormats.Open(args.Positionals[1]);
        var fixedView = VolumeView.Select(fix, args.Int("--fixed-level", min: 0));
        var movingView = VolumeView.Select(mov, args.Int("--moving-level", min: 0));
        var text = new StringWriter();
        if (blockSize is null)
        {
            var r = WithProgress(context, p => FeatureAffine.Align(fixedView, movingView, options, initial, p, context.Cancellation));
            JsonOutput.Write(text, json =>
            {
                TransformFile.WriteProperties(json, r.Transform);
                json.WriteNumber("fixed_spots", r.FixedSpots);
                json.WriteNumber("moving_spots", r.MovingSpots);
                json.WriteNumber("matches", r.Matches);
                json.WriteNumber("inliers", r.Inliers);
                json.WriteNumber("rms_residual", Math.Round(r.RmsResidual, 6));
                json.WriteNumber("seconds", Math.Round(r.Elapsed.TotalSeconds, 3));
            });
        }
        else
        {
            var piecewise = new PiecewiseOptions
            {
                BlockSize = blockSize.Length == 1 ? (blockSize[0], blockSize[0], blockSize[0]) : (blockSize[0], blockSize[1], blockSize[2]),
                Overlap = overlap ?? 0.5,
                Features = options,
            };
            var r = WithProgress(context, p => PiecewiseAffine.Align(fixedView, movingView, piecewise, initial, p, context.Cancellation));
            JsonOutput.Write(text, json =>
            {
                TransformFile.WriteProperties(json, r.Transform);
                json.WriteNumber("estimated_blocks", r.Blocks.Count(b => b.Transform is not null));
                json.WriteStartArray("failed_blocks");
                foreach (var b in r.Blocks.Where(b => b.Failure is not null))
                {
                    json.WriteStartObject();
                    JsonOutput.Numbers(json, "block_xyz", new[] { b.X, b.Y, b.Z });
                    json.WriteString("reason", b.Failure);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteNumber("seconds", Math.Round(r.Elapsed.TotalSeconds, 3));
            });
        }
        if (outFile is not null)
            AtomicOutput.Write(outFile, args.Flag("--force"), null, temp => { File.WriteAllText(temp, text.ToString()); return temp; });
        context.Out.Write(text.ToString());
        return 0;
    }
}

using System.Diagnostics;
using EmAlign.Diagnostics;
using EmAlign.Transforms;
using EmAlign.Volumes;

namespace EmAlign.Features;

/// <summary>
/// Everything the feature-point affine takes (bigstream's feature_point_ransac_affine_align; defaults as its new API
/// except MatchThreshold 0.75, the tutorial's value, and MaxIterations, raised from 1000 since samples are cheap).
/// </summary>
public sealed record FeatureAlignOptions
{
    public SpotDetectionOptions Spots { get; init; } = new();

    public MatchOptions Matching { get; init; } = new();

    /// <summary>RANSAC inlier distance in micrometres (converted to the data's unit; taken as is when the unit is not a length).</summary>
    public double AlignThreshold { get; init; } = 2.0;

    /// <summary>Seed of the RANSAC sampler.</summary>
    public int Seed { get; init; }

    public int MaxIterations { get; init; } = 10_000;

    /// <summary>Fewer spots than this in either image is a failure.</summary>
    public int MinSpots { get; init; } = 100;

    /// <summary>Fewer matches than this is a failure.</summary>
    public int MinMatches { get; init; } = 50;

    /// <summary>Fewer RANSAC inliers than this is a failure.</summary>
    public int MinInliers { get; init; } = 12;

    /// <summary>Every diagonal element of the linear part must lie within 1 ± this (bigstream's diagonal_constraint).</summary>
    public double DiagonalConstraint { get; init; } = 0.25;

    /// <summary>Throws an <see cref="EmAlignException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        static void Check(bool ok, string name, string message)
        {
            if (!ok) throw new EmAlignException($"{name}: {message}", name);
        }
        BlobDetector.Sigmas(Spots, planar: false);
        Check(Spots.NumSigmaMax >= 1, "NumSigmaMax", $"{Spots.NumSigmaMax} scales; expected at least 1.");
        Check(Spots.ThresholdRel is >= 0 and < 1, "ThresholdRel", $"{Spots.ThresholdRel:g3}; expected a fraction from 0 up to 1.");
        Check(Spots.NSpots >= 1, "NSpots", $"{Spots.NSpots}; expected at least 1 spot.");
        Check(Matching.CcRadius >= 1, "CcRadius", $"{Matching.CcRadius} voxels; expected at least 1.");
        Check(Matching.MatchThreshold is > -1 and < 1, "MatchThreshold", $"{Matching.MatchThreshold:g3}; expected a correlation between -1 and 1.");
        Check(Matching.MaxMatchDistance is null or > 0, "MaxMatchDistance", $"{Matching.MaxMatchDistance:g3}; expected a positive distance.");
        Check(AlignThreshold > 0 && double.IsFinite(AlignThreshold), "AlignThreshold", $"{AlignThreshold:g3} um; expected a positive distance.");
        Check(MaxIterations >= 1, "MaxIterations", $"{MaxIterations}; expected at least 1.");
        Check(MinSpots >= 1 && MinMatches >= 4 && MinInliers >= 4, "MinSpots",
            $"minimums of {MinSpots} spots, {MinMatches} matches and {MinInliers} inliers; expected at least 1, 4 and 4.");
        Check(DiagonalConstraint > 0, "DiagonalConstraint", $"{DiagonalConstraint:g3}; expected a positive tolerance.");
    }
}

/// <param name="Transform">Fixed → moving affine (x, y, z, physical units of the fixed volume), origin at mag-1 voxel 0.
/// With an initial transform it is the residual that acts first: apply [initial, Transform].</param>
/// <param name="FixedSpots">Spots kept in the fixed image.</param>
/// <param name="MovingSpots">Spots kept in the moving image.</param>
/// <param name="Matches">Pairs above the match threshold.</param>
/// <param name="Inliers">RANSAC inliers of the final model.</param>
/// <param name="RmsResidual">Root-mean-square inlier distance, physical units.</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record FeatureAffineResult(AffineTransform3D Transform, int FixedSpots, int MovingSpots, int Matches, int Inliers, double RmsResidual, TimeSpan Elapsed);

/// <summary>A feature alignment that cannot give a trustworthy answer (too few spots, matches or inliers, or a degenerate fit).</summary>
public sealed class FeatureAlignmentException(string message, string? target = null) : EmAlignException(message, target);

/// <summary>
/// Global feature-based affine registration (bigstream's feature path, spec part A): LoG blobs in both images, the
/// brightest kept, raw-intensity neighbourhoods matched by Pearson r, a seeded RANSAC affine in physical units refit on
/// its inliers, and sanity checks that fail with a clear message. Both images are one chosen level (and region) read
/// whole as float32: pick a level that fits in memory. The moving image is first resampled onto a grid with the fixed
/// voxel size when the two differ (neighbourhoods are compared voxel by voxel), or onto the fixed grid through the
/// initial transform when one is given.
/// </summary>
public static class FeatureAffine
{
    public static FeatureAffineResult Align(VolumeView fixedView, VolumeView movingView, FeatureAlignOptions options,
        SpatialTransform? initial = null, IProgress<ProgressInfo>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(fixedView);
        ArgumentNullException.ThrowIfNull(movingView);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var clock = Stopwatch.StartNew();
        const string activity = "Feature affine";
        progress?.Report(new ProgressInfo(activity, "reading volumes", 0, 4));
        var fixedGrid = VoxelGrid.Of(fixedView);
        var fixedImage = FirstChannel(fixedView.Volume.ReadSingle(fixedView.Level, fixedView.LevelRegion), fixedGrid.VoxelCount);
        var (movingImage, movingGrid) = MovingOnFixedSpacing(movingView, fixedGrid, initial);
        return AlignImages(fixedImage, fixedGrid, movingImage, movingGrid, options, -1, progress, ct) with { Elapsed = clock.Elapsed };
    }

    /// <summary>
    /// The same pipeline on in-memory images (z, y, x floats of their grids, which must share voxel size and unit).
    /// Throws <see cref="FeatureAlignmentException"/> when a sanity check fails.
    /// </summary>
    public static FeatureAffineResult AlignImages(float[] fixedImage, VoxelGrid fixedGrid, float[] movingImage, VoxelGrid movingGrid,
        FeatureAlignOptions options, int maxParallelism = -1, IProgress<ProgressInfo>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var clock = Stopwatch.StartNew();
        const string activity = "Feature affine";
        movingGrid = movingGrid.InUnit(fixedGrid.Unit);
        if (!SameSpacing(fixedGrid, movingGrid))
            throw new ArgumentException($"The moving grid ({movingGrid}) must have the fixed grid's voxel size ({fixedGrid}): resample it first.", nameof(movingGrid));
        if (fixedGrid.IsPlanar != movingGrid.IsPlanar)
            throw new EmAlignException($"One image is a single plane and the other is not (fixed {fixedGrid}, moving {movingGrid}): expected both 3D or both 2D.", "moving");

        var cube = NeighbourhoodMatcher.CubeRadius(options.Matching.CcRadius, fixedGrid);
        progress?.Report(new ProgressInfo(activity, "detecting fixed spots", 1, 4));
        var fixedSpots = BlobDetector.Detect(fixedImage, fixedGrid, options.Spots, cube, maxParallelism, ct);
        progress?.Report(new ProgressInfo(activity, "detecting moving spots", 2, 4));
        var movingSpots = BlobDetector.Detect(movingImage, movingGrid, options.Spots, cube, maxParallelism, ct);
        CheckSpots("fixed", fixedSpots.Length, options);
        CheckSpots("moving", movingSpots.Length, options);

        progress?.Report(new ProgressInfo(activity, $"matching {fixedSpots.Length} x {movingSpots.Length} spots", 3, 4));
        var matches = NeighbourhoodMatcher.Match(fixedImage, fixedGrid, fixedSpots, movingImage, movingGrid, movingSpots, options.Matching, maxParallelism, ct);
        if (matches.Length < options.MinMatches)
            throw new FeatureAlignmentException(
                $"Only {matches.Length} spot pairs correlate above {options.Matching.MatchThreshold:g3} ({fixedSpots.Length} fixed and {movingSpots.Length} moving spots); at least {options.MinMatches} are needed: " +
                "lower the match threshold, give an initial transform if the volumes are far apart, or check that both show the same structures.", "MatchThreshold");

        progress?.Report(new ProgressInfo(activity, $"RANSAC on {matches.Length} matches", 4, 4));
        var result = FitMatches(
            [.. matches.Select(m => fixedGrid.ToPhysical(fixedSpots[m.Fixed].X, fixedSpots[m.Fixed].Y, fixedSpots[m.Fixed].Z))],
            [.. matches.Select(m => movingGrid.ToPhysical(movingSpots[m.Moving].X, movingSpots[m.Moving].Y, movingSpots[m.Moving].Z))],
            options, fixedGrid.Unit, fixedGrid.IsPlanar);
        return new FeatureAffineResult(result.Transform, fixedSpots.Length, movingSpots.Length, matches.Length, result.InlierCount, result.RmsResidual, clock.Elapsed);
    }

    /// <summary>
    /// RANSAC and the sanity checks on given correspondences (physical x, y, z in <paramref name="unit"/>): the last step
    /// of <see cref="AlignImages"/>, for callers that bring their own matches.
    /// </summary>
    public static RansacResult FitMatches(IReadOnlyList<(double X, double Y, double Z)> fixedPoints, IReadOnlyList<(double X, double Y, double Z)> movingPoints,
        FeatureAlignOptions options, string unit, bool planar)
    {
        ArgumentNullException.ThrowIfNull(options);
        double threshold = Units.FromMicrometers(options.AlignThreshold, unit);
        if (!(threshold > 0)) throw new EmAlignException($"The align threshold is {options.AlignThreshold:g4} um: expected a positive distance.", "AlignThreshold");
        var fit = RansacAffine.Fit(fixedPoints, movingPoints,
            new RansacOptions { Threshold = threshold, MaxIterations = options.MaxIterations, Seed = options.Seed, Planar = planar }, unit);
        if (fit is null || fit.InlierCount < options.MinInliers)
            throw new FeatureAlignmentException(
                $"RANSAC found {fit?.InlierCount ?? 0} inliers among {fixedPoints.Count} matches within {options.AlignThreshold:g4} um; at least {options.MinInliers} are needed: " +
                "raise the align threshold or the match threshold.", "AlignThreshold");
        var a = fit.Transform;
        int dims = planar ? 2 : 3;
        for (int i = 0; i < dims; i++)
            if (Math.Abs(a[i, i] - 1) > options.DiagonalConstraint)
                throw new FeatureAlignmentException(
                    $"The fitted affine has diagonal ({a[0, 0]:g4}, {a[1, 1]:g4}, {a[2, 2]:g4}); each must lie within 1 ± {options.DiagonalConstraint:g3}: " +
                    "the matches are probably wrong (raise the match threshold, lower the align threshold) or the volumes differ in scale.", "DiagonalConstraint");
        if (!(a.Determinant > 0))
            throw new FeatureAlignmentException($"The fitted affine is degenerate or mirrors space (determinant {a.Determinant:g4}): expected a positive determinant.", "DiagonalConstraint");
        return fit;
    }

    /// <summary>Reads the moving view onto the fixed voxel size: through <paramref name="initial"/> onto the fixed grid, or (when spacings differ) onto a grid covering the moving region.</summary>
    internal static (float[] Image, VoxelGrid Grid) MovingOnFixedSpacing(VolumeView movingView, VoxelGrid fixedGrid, SpatialTransform? initial)
    {
        var movingGrid = VoxelGrid.Of(movingView).InUnit(fixedGrid.Unit);
        if (initial is not null)
            return (FirstChannel(Resampler.Resample(movingView.Volume, movingView.Level, initial, fixedGrid), fixedGrid.VoxelCount), fixedGrid);
        if (SameSpacing(fixedGrid, movingGrid))
            return (FirstChannel(movingView.Volume.ReadSingle(movingView.Level, movingView.LevelRegion), movingGrid.VoxelCount), movingGrid);
        var target = movingGrid with
        {
            SizeX = Math.Max(1, (long)Math.Round(movingGrid.SizeX * movingGrid.SpacingX / fixedGrid.SpacingX)),
            SizeY = Math.Max(1, (long)Math.Round(movingGrid.SizeY * movingGrid.SpacingY / fixedGrid.SpacingY)),
            SizeZ = Math.Max(1, (long)Math.Round(movingGrid.SizeZ * movingGrid.SpacingZ / fixedGrid.SpacingZ)),
            SpacingX = fixedGrid.SpacingX, SpacingY = fixedGrid.SpacingY, SpacingZ = fixedGrid.SpacingZ,
        };
        return (FirstChannel(Resampler.Resample(movingView.Volume, movingView.Level, AffineTransform3D.Identity(fixedGrid.Unit), target), target.VoxelCount), target);
    }

    internal static bool SameSpacing(VoxelGrid a, VoxelGrid b)
    {
        static bool Close(double u, double v) => Math.Abs(u - v) <= 1e-3 * Math.Max(Math.Abs(u), Math.Abs(v));
        return Close(a.SpacingX, b.SpacingX) && Close(a.SpacingY, b.SpacingY) && Close(a.SpacingZ, b.SpacingZ);
    }

    /// <summary>Features use the first channel of multi-channel volumes.</summary>
    private static float[] FirstChannel(float[] values, long voxels) => values.Length == voxels ? values : values[..(int)voxels];

    private static void CheckSpots(string which, int count, FeatureAlignOptions options)
    {
        if (count < options.MinSpots)
            throw new FeatureAlignmentException(
                $"The {which} image has {count} spots; at least {options.MinSpots} are needed: check the blob radii ({options.Spots.MinRadius:g3} to {options.Spots.MaxRadius:g3} voxels), " +
                $"lower the relative threshold ({options.Spots.ThresholdRel:g3}), or choose a finer level.", "MinRadius");
    }
}

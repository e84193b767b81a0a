using EmAlign.Diagnostics;
using EmAlign.Features;
using EmAlign.Transforms;

namespace EmAlign.FrontEnds;

/// <summary>
/// Invoke-RansacAffine's decisions, free of PowerShell types: parameter values (block sizes written x, y, z) into
/// engine options, the initial transform list into one chain, and the verbose summary. Errors name the parameter.
/// </summary>
internal static class FeatureCommands
{
    /// <summary>The feature-affine settings from the cmdlet's parameters (bigstream's names and units).</summary>
    public static FeatureAlignOptions Options(double minRadius, double maxRadius, double matchThreshold, int ccRadius, int nSpots,
        double alignThreshold, int seed, int minSpots, int minMatches)
    {
        var d = new FeatureAlignOptions();
        var options = d with
        {
            Spots = d.Spots with { MinRadius = minRadius, MaxRadius = maxRadius, NSpots = nSpots },
            Matching = d.Matching with { MatchThreshold = matchThreshold, CcRadius = ccRadius },
            AlignThreshold = alignThreshold,
            Seed = seed,
            MinSpots = minSpots,
            MinMatches = minMatches,
        };
        options.Validate();
        return options;
    }

    /// <summary>Piecewise settings when -BlockSize is given (one size for all axes, or x, y, z); null for a global affine.</summary>
    public static PiecewiseOptions? Piecewise(int[]? blockSizeXyz, double overlap, FeatureAlignOptions options)
    {
        if (blockSizeXyz is null) return null;
        if (blockSizeXyz.Length is not (1 or 3) || blockSizeXyz.Any(b => b < 1))
            throw new EmAlignException($"-BlockSize {string.Join(",", blockSizeXyz)} is not a block size: expected one (all axes) or three (x, y, z) positive voxel counts.", "BlockSize");
        var b = blockSizeXyz.Length == 1 ? (blockSizeXyz[0], blockSizeXyz[0], blockSizeXyz[0]) : (blockSizeXyz[0], blockSizeXyz[1], blockSizeXyz[2]);
        var piecewise = new PiecewiseOptions { BlockSize = b, Overlap = overlap, Features = options };
        PiecewiseAffine.Overlaps(piecewise); // checks the overlap before any work
        return piecewise;
    }

    /// <summary>-InitialTransform as one transform: null for none, the transform itself, or a chain in the order given.</summary>
    public static SpatialTransform? Initial(SpatialTransform[]? transforms) =>
        transforms is null || transforms.Length == 0 ? null : TransformChain.Of(transforms);

    /// <summary>What a global fit found, for -Verbose.</summary>
    public static string Describe(FeatureAffineResult r) =>
        $"{r.FixedSpots} fixed and {r.MovingSpots} moving spots, {r.Matches} matches, {r.Inliers} inliers (rms {r.RmsResidual:g3} {r.Transform.Unit}) in {r.Elapsed.TotalSeconds:0.0} s.";

    /// <summary>What a piecewise fit found, for -Verbose: the count, and each failed block with its reason.</summary>
    public static IEnumerable<string> Describe(PiecewiseResult r)
    {
        yield return $"{r.Blocks.Count(b => b.Transform is not null)} of {r.Blocks.Count} blocks estimated in {r.Elapsed.TotalSeconds:0.0} s; the others take their neighbours' affines.";
        foreach (var b in r.Blocks.Where(b => b.Failure is not null)) yield return $"Block ({b.X}, {b.Y}, {b.Z}): {b.Failure}";
    }
}

using EmAlign.Diagnostics;
using EmAlign.Features;
using EmAlign.FrontEnds;
using EmAlign.Transforms;

namespace EmAlign.PowerShell.Tests.Adapters;

/// <summary>Invoke-RansacAffine's decisions.</summary>
public class FeatureCommandsTests
{
    private static FeatureAlignOptions Defaults => FeatureCommands.Options(6, 20, 0.75, 12, 5000, 2.0, 0, 100, 50);

    [Fact]
    public void ParametersBecomeBigstreamsOptions()
    {
        var o = FeatureCommands.Options(4, 12, 0.6, 8, 300, 0.5, 9, 20, 12);
        Assert.Equal((4.0, 12.0, 300), (o.Spots.MinRadius, o.Spots.MaxRadius, o.Spots.NSpots));
        Assert.Equal((0.6, 8), (o.Matching.MatchThreshold, o.Matching.CcRadius));
        Assert.Equal((0.5, 9, 20, 12), (o.AlignThreshold, o.Seed, o.MinSpots, o.MinMatches));
        var e = Assert.Throws<EmAlignException>(() => FeatureCommands.Options(8, 8, 0.75, 12, 5000, 2, 0, 100, 50));
        Assert.Contains("min radius", e.Message);
    }

    [Fact]
    public void BlockSizesAreXyzOrOneForAllAxes()
    {
        Assert.Null(FeatureCommands.Piecewise(null, 0.5, Defaults));
        Assert.Equal((128, 128, 128), FeatureCommands.Piecewise([128], 0.5, Defaults)!.BlockSize);
        var p = FeatureCommands.Piecewise([128, 96, 32], 0.25, Defaults)!;
        Assert.Equal(((128, 96, 32), 0.25), (p.BlockSize, p.Overlap));
        Assert.Equal("BlockSize", Assert.Throws<EmAlignException>(() => FeatureCommands.Piecewise([128, 0, 4], 0.5, Defaults)).Target);
        Assert.Equal("BlockSize", Assert.Throws<EmAlignException>(() => FeatureCommands.Piecewise([128, 64], 0.5, Defaults)).Target);
        Assert.Equal("Overlap", Assert.Throws<EmAlignException>(() => FeatureCommands.Piecewise([128], 0, Defaults)).Target);
    }

    [Fact]
    public void InitialTransformsFormAChainInTheOrderGiven()
    {
        var a = AffineTransform3D.Shift(1, 0, 0, "nm");
        var b = new AffineTransform3D([2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0], "nm");
        Assert.Null(FeatureCommands.Initial(null));
        Assert.Null(FeatureCommands.Initial([]));
        Assert.Same(a, FeatureCommands.Initial([a]));
        // [a, b]: b acts first: x -> 2x -> 2x + 1.
        Assert.Equal(7, FeatureCommands.Initial([a, b])!.Apply(3, 0, 0).X);
    }

    [Fact]
    public void FailedAlignmentsAreReportedAsDataProblemsWithAdvice()
    {
        var f = FrontEndFailure.From(new FeatureAlignmentException("The fixed image has 3 spots; at least 100 are needed.", "MinRadius"), "mov.zarr");
        Assert.Equal("AlignmentFailed", f.ErrorId);
        Assert.Equal(FailureCategory.InvalidData, f.Category);
        Assert.False(f.StopsCommand);
        Assert.Contains("-MatchThreshold", f.RecommendedAction);
    }
}

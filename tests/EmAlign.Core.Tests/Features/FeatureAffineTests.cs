using System.Diagnostics;
using EmAlign.Features;
using EmAlign.Transforms;
using Xunit.Abstractions;

namespace EmAlign.Tests.Features;

public class FeatureAffineTests(ITestOutputHelper output)
{
    /// <summary>64 x 64 x 48 um at 0.4 x 0.4 x 1.0 um voxels.</summary>
    private static readonly VoxelGrid Grid = new(160, 160, 48, 0.4, 0.4, 1.0, 0, 0, 0, "micrometer");

    private static AffineTransform3D Truth => BlobPhantom.KnownAffine(Grid, rotZ: 6, rotX: 2, scale: (1.04, 0.97, 1.02), shearXY: 0.03, translation: (2.2, -1.7, 1.3));

    [Fact]
    public void RecoversAKnownAffineOnAnisotropicVoxels()
    {
        var blobs = BlobPhantom.RandomBlobs(Grid, 450, 1.2, 2.2, seed: 1);
        var fix = BlobPhantom.Render(Grid, blobs, AffineTransform3D.Identity(Grid.Unit), noise: 20, seed: 2);
        var mov = BlobPhantom.Render(Grid, blobs, Truth, noise: 20, seed: 3);
        var sw = Stopwatch.StartNew();
        var result = FeatureAffine.AlignImages(fix, Grid, mov, Grid, new FeatureAlignOptions
        {
            Spots = new SpotDetectionOptions { MinRadius = 4, MaxRadius = 12 },
            Matching = new MatchOptions { CcRadius = 10 },
            AlignThreshold = 1.0,
        });
        double error = BlobPhantom.MeanVoxelError(result.Transform, Truth, Grid);
        output.WriteLine($"{sw.Elapsed.TotalSeconds:0.00} s: spots {result.FixedSpots}/{result.MovingSpots}, matches {result.Matches}, inliers {result.Inliers}, rms {result.RmsResidual:0.000} um, mean error {error:0.000} voxel");
        output.WriteLine(result.Transform.ToString());
        output.WriteLine(Truth.ToString());
        Assert.True(error < 0.2, $"mean displacement error {error:0.000} voxel");
    }
}

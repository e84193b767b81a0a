using EmAlign.Diagnostics;
using EmAlign.Features;
using EmAlign.Transforms;

namespace EmAlign.Tests.Features;

public class DetectionAndMatchingTests
{
    [Theory]
    [InlineData(1.0, 1.0)]   // isotropic
    [InlineData(0.4, 1.0)]   // anisotropic: z voxels 2.5 times longer
    public void FindsIsolatedBlobsAtTheirCentresWithTheirSize(double xy, double z)
    {
        var grid = new VoxelGrid(96, 96, (long)Math.Round(96 * xy / z), xy, xy, z, 0, 0, 0, "micrometer");
        // Blobs of physical sigma 3 voxels along x, placed off the voxel grid.
        double sigma = 3 * xy;
        SyntheticBlobs.Blob[] blobs =
        [
            new(30.3 * xy, 31.7 * xy, grid.SizeZ * z * 0.35 + 0.21 * z, sigma, 800),
            new(64.6 * xy, 60.2 * xy, grid.SizeZ * z * 0.62 - 0.33 * z, sigma, 1000),
        ];
        var image = SyntheticBlobs.Render(grid, blobs, AffineTransform3D.Identity(grid.Unit), noise: 0, seed: 0);
        var spots = BlobDetector.Detect(image, grid, new SpotDetectionOptions { MinRadius = 3, MaxRadius = 9 }, (2, 2, 1));
        Assert.Equal(2, spots.Length);
        // Brightest first.
        // Brightest first; the value is the image's at the peak voxel (within half a voxel of the centre).
        Assert.InRange(spots[0].Intensity, 100 + 0.85 * 1000, 1101);
        Assert.InRange(spots[1].Intensity, 100 + 0.85 * 800, 901);
        foreach (var (spot, blob) in spots.Zip(blobs.Reverse()))
        {
            var p = grid.ToPhysical(spot.X, spot.Y, spot.Z);
            Assert.True(Math.Abs(p.X - blob.X) / grid.SpacingX < 0.25, $"x {p.X} vs {blob.X}");
            Assert.True(Math.Abs(p.Y - blob.Y) / grid.SpacingY < 0.25, $"y {p.Y} vs {blob.Y}");
            Assert.True(Math.Abs(p.Z - blob.Z) / grid.SpacingZ < 0.25, $"z {p.Z} vs {blob.Z}");
            // The normalised LoG of a Gaussian blob of sigma s peaks at sigma s·sqrt(2/3) in 3D (2.45 x voxels here),
            // found to the resolution of the scale ramp (0.69).
            Assert.InRange(spot.Sigma, 2.45 - 0.7, 2.45 + 0.7);
        }
    }

    [Fact]
    public void KeepsOnlyTheBrightestAndNothingAtTheBorder()
    {
        var grid = new VoxelGrid(120, 120, 1, 1, 1, 1, 0, 0, 0, "pixel");
        var blobs = Enumerable.Range(0, 25).Select(i => new SyntheticBlobs.Blob(10 + 25 * (i % 5), 10 + 25 * (i / 5), 0, 2.5, 100 + 20 * i)).ToArray();
        var image = SyntheticBlobs.Render(grid, blobs, AffineTransform3D.Identity("pixel"), 0, 0);
        var all = BlobDetector.Detect(image, grid, new SpotDetectionOptions { MinRadius = 2, MaxRadius = 6, ThresholdRel = 0.01 }, (12, 12, 0));
        // Blobs at 10 and 110 lie within 12 pixels of the border.
        Assert.Equal(9, all.Length);
        Assert.All(all, s => Assert.InRange(s.X, 12, 107));
        var top = BlobDetector.Detect(image, grid, new SpotDetectionOptions { MinRadius = 2, MaxRadius = 6, ThresholdRel = 0.01, NSpots = 3 }, (12, 12, 0));
        Assert.Equal(all.Take(3), top);
        Assert.True(top[0].Intensity >= top[1].Intensity && top[1].Intensity >= top[2].Intensity);
    }

    [Fact]
    public void RejectsRadiiThatGiveNoScale()
    {
        var e = Assert.Throws<EmAlignException>(() => BlobDetector.Sigmas(new SpotDetectionOptions { MinRadius = 6, MaxRadius = 6.5 }, planar: false));
        Assert.Contains("max radius at least min radius + 1", e.Message);
        // bigstream's ramp: min(max - min, 15) scales from r/sqrt(3).
        var s = BlobDetector.Sigmas(new SpotDetectionOptions(), planar: false);
        Assert.Equal(14, s.Length);
        Assert.Equal(6 / Math.Sqrt(3), s[0], 12);
        Assert.Equal(20 / Math.Sqrt(3), s[^1], 12);
    }

    [Theory]
    [InlineData(3.0, 3.0, 0, 1)]
    [InlineData(3.0, 3.0, 6, 0)]
    [InlineData(2.0, 5.0, 1, 1)]   // the small sphere lies inside the large one
    public void OverlapOfSpheresIsAFractionOfTheSmallerOne(double r1, double r2, double d, double expected) =>
        Assert.Equal(expected, BlobDetector.OverlapFraction(r1, r2, d, planar: false), 9);

    [Fact]
    public void HalfOverlappingCirclesAndSpheres()
    {
        // Two unit spheres at distance 1 share 5/16 of their volume; unit circles share (2π/3 - √3/2)/π of their area.
        Assert.Equal(5.0 / 16, BlobDetector.OverlapFraction(1, 1, 1, planar: false), 9);
        Assert.Equal((2 * Math.PI / 3 - Math.Sqrt(3) / 2) / Math.PI, BlobDetector.OverlapFraction(1, 1, 1, planar: true), 9);
    }

    [Fact]
    public void ScreenedMatchingAgreesWithExactMatching()
    {
        var grid = AffinePair.Grid;
        var o = AffinePair.Options;
        var cube = NeighbourhoodMatcher.CubeRadius(o.Matching.CcRadius, grid);
        Assert.Equal((10, 10, 4), cube);
        var fs = BlobDetector.Detect(AffinePair.Fixed, grid, o.Spots, cube);
        var ms = BlobDetector.Detect(AffinePair.Moving, grid, o.Spots, cube);
        var exact = NeighbourhoodMatcher.Match(AffinePair.Fixed, grid, fs, AffinePair.Moving, grid, ms, o.Matching with { Candidates = 0 });
        var screened = NeighbourhoodMatcher.Match(AffinePair.Fixed, grid, fs, AffinePair.Moving, grid, ms, o.Matching with { Candidates = 4 });
        Assert.True(exact.Length > 150);
        // Screening may miss a few pairs but never invents one: what it keeps is what the exact search keeps.
        Assert.True(screened.Length >= exact.Length * 95 / 100, $"{screened.Length} of {exact.Length}");
        var byFixed = exact.ToDictionary(m => m.Fixed);
        Assert.All(screened, m => Assert.Equal(byFixed[m.Fixed], m));
        Assert.All(exact, m => Assert.InRange(m.Correlation, (float)o.Matching.MatchThreshold, 1.0001f));
    }

    [Fact]
    public void TheDistanceGateOnlyPairsNearbySpots()
    {
        var grid = AffinePair.Grid;
        var o = AffinePair.Options;
        var cube = NeighbourhoodMatcher.CubeRadius(o.Matching.CcRadius, grid);
        var fs = BlobDetector.Detect(AffinePair.Fixed, grid, o.Spots, cube);
        var ms = BlobDetector.Detect(AffinePair.Moving, grid, o.Spots, cube);
        var gated = NeighbourhoodMatcher.Match(AffinePair.Fixed, grid, fs, AffinePair.Moving, grid, ms, o.Matching with { MaxMatchDistance = 3 });
        Assert.NotEmpty(gated);
        Assert.All(gated, m =>
        {
            var p = grid.ToPhysical(fs[m.Fixed].X, fs[m.Fixed].Y, fs[m.Fixed].Z);
            var q = grid.ToPhysical(ms[m.Moving].X, ms[m.Moving].Y, ms[m.Moving].Z);
            Assert.True(Math.Sqrt((p.X - q.X) * (p.X - q.X) + (p.Y - q.Y) * (p.Y - q.Y) + (p.Z - q.Z) * (p.Z - q.Z)) <= 3);
        });
    }

    [Fact]
    public void RansacRecoversExactAffinesAndIsReproducible()
    {
        var rng = new Random(3);
        var truth = new AffineTransform3D([1.02, 0.05, -0.01, 5, -0.04, 0.98, 0.02, -3, 0.01, -0.03, 1.01, 2], "micrometer");
        var fixedPoints = Enumerable.Range(0, 200).Select(_ => (rng.NextDouble() * 100, rng.NextDouble() * 100, rng.NextDouble() * 40)).ToList();
        var movingPoints = fixedPoints.Select(p => truth.Apply(p.Item1, p.Item2, p.Item3)).ToList();
        // 30 % gross outliers.
        for (int i = 0; i < 60; i++) movingPoints[i] = (movingPoints[i].X + 20 + rng.NextDouble() * 50, movingPoints[i].Y, movingPoints[i].Z);
        var options = new RansacOptions { Threshold = 0.5, Seed = 11 };
        var fit = RansacAffine.Fit(fixedPoints, movingPoints, options, "micrometer")!;
        Assert.Equal(140, fit.InlierCount);
        Assert.All(fit.Inliers.Take(60), Assert.False);
        for (int i = 0; i < 12; i++) Assert.Equal(truth.GetParameters()[i], fit.Transform.GetParameters()[i], 9);
        Assert.True(fit.RmsResidual < 1e-9);
        var again = RansacAffine.Fit(fixedPoints, movingPoints, options, "micrometer")!;
        Assert.Equal(fit.Iterations, again.Iterations);
        Assert.Null(RansacAffine.Fit(fixedPoints.Take(3).ToList(), movingPoints.Take(3).ToList(), options, "micrometer"));
    }
}

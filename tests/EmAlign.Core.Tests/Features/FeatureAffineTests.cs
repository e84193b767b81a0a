using System.Diagnostics;
using EmAlign.Features;
using EmAlign.Geometry;
using EmAlign.Transforms;
using EmAlign.Volumes;
using Xunit.Abstractions;

namespace EmAlign.Tests.Features;

/// <summary>A blob pair under a known affine (rotation about two axes, anisotropic scale, shear, translation) on anisotropic voxels.</summary>
internal static class AffinePair
{
    /// <summary>64 x 64 x 48 um at 0.4 x 0.4 x 1.0 um voxels.</summary>
    public static readonly VoxelGrid Grid = new(160, 160, 48, 0.4, 0.4, 1.0, 0, 0, 0, "micrometer");

    public static readonly AffineTransform3D Truth =
        SyntheticBlobs.KnownAffine(Grid, rotZ: 6, rotX: 2, scale: (1.04, 0.97, 1.02), shearXY: 0.03, translation: (2.2, -1.7, 1.3));

    private static readonly Lazy<(float[] Fixed, float[] Moving)> s_images = new(() =>
    {
        var blobs = SyntheticBlobs.RandomBlobs(Grid, 450, 1.2, 2.2, seed: 1);
        return (SyntheticBlobs.Render(Grid, blobs, AffineTransform3D.Identity(Grid.Unit), noise: 20, seed: 2),
            SyntheticBlobs.Render(Grid, blobs, Truth, noise: 20, seed: 3));
    });

    public static float[] Fixed => s_images.Value.Fixed;
    public static float[] Moving => s_images.Value.Moving;

    /// <summary>Parameters for blobs of 3-5 um radius at 0.4 um voxels.</summary>
    public static FeatureAlignOptions Options => new()
    {
        Spots = new SpotDetectionOptions { MinRadius = 4, MaxRadius = 12 },
        Matching = new MatchOptions { CcRadius = 10 },
        AlignThreshold = 1.0,
    };

    /// <summary>An in-memory volume of float32 values (z, y, x) with the given voxel size.</summary>
    public static EmVolume Volume(float[] values, VoxelGrid grid)
    {
        var array = new MemoryChunkedArray(DataType.Float32, [grid.SizeZ, grid.SizeY, grid.SizeX], [32, 64, 64]);
        var v = new EmVolume("memory", "memory", "", [new VolumeLevel(Mag.One, array)], new VoxelSize(grid.SpacingX, grid.SpacingY, grid.SpacingZ, grid.Unit));
        v.Write<float>(0, v.Bounds, values);
        return v;
    }
}

public class FeatureAffineTests(ITestOutputHelper output)
{
    [Fact]
    public void RecoversAKnownAffineOnAnisotropicVoxels()
    {
        var sw = Stopwatch.StartNew();
        var result = FeatureAffine.AlignImages(AffinePair.Fixed, AffinePair.Grid, AffinePair.Moving, AffinePair.Grid, AffinePair.Options);
        var error = TransformDistance.Measure(result.Transform, AffinePair.Truth, AffinePair.Grid);
        output.WriteLine($"{sw.Elapsed.TotalSeconds:0.00} s: spots {result.FixedSpots}/{result.MovingSpots}, matches {result.Matches}, inliers {result.Inliers}, rms {result.RmsResidual:0.000} um, {error}");
        Assert.True(error.Mean < 0.2, $"mean displacement error {error}");
        Assert.True(result.Inliers >= 0.8 * result.Matches, $"{result.Inliers} inliers of {result.Matches} matches");
    }

    [Fact]
    public void RecoversTheAffineWithHalfTheMatchesWrong()
    {
        var o = AffinePair.Options;
        var grid = AffinePair.Grid;
        var cube = NeighbourhoodMatcher.CubeRadius(o.Matching.CcRadius, grid);
        var fs = BlobDetector.Detect(AffinePair.Fixed, grid, o.Spots, cube);
        var ms = BlobDetector.Detect(AffinePair.Moving, grid, o.Spots, cube);
        var matches = NeighbourhoodMatcher.Match(AffinePair.Fixed, grid, fs, AffinePair.Moving, grid, ms, o.Matching);
        var fixedPoints = matches.Select(m => grid.ToPhysical(fs[m.Fixed].X, fs[m.Fixed].Y, fs[m.Fixed].Z)).ToList();
        var movingPoints = matches.Select(m => grid.ToPhysical(ms[m.Moving].X, ms[m.Moving].Y, ms[m.Moving].Z)).ToList();
        // As many wrong pairs as right ones: fixed spots paired with random moving spots.
        var rng = new Random(7);
        int wrong = matches.Length;
        for (int i = 0; i < wrong; i++)
        {
            var f = fs[rng.Next(fs.Length)];
            var m = ms[rng.Next(ms.Length)];
            fixedPoints.Add(grid.ToPhysical(f.X, f.Y, f.Z));
            movingPoints.Add(grid.ToPhysical(m.X, m.Y, m.Z));
        }
        var fit = FeatureAffine.FitMatches(fixedPoints, movingPoints, o, grid.Unit, planar: false);
        var error = TransformDistance.Measure(fit.Transform, AffinePair.Truth, grid);
        output.WriteLine($"{matches.Length} true + {wrong} random pairs: {fit.InlierCount} inliers after {fit.Iterations} samples, {error}");
        Assert.True(error.Mean < 0.2, $"mean displacement error {error}");
        Assert.InRange(fit.InlierCount, matches.Length * 8 / 10, matches.Length + wrong / 10);
    }

    [Fact]
    public void AlignsVolumesOfDifferentVoxelSizesInPhysicalUnits()
    {
        // The moving volume is stored at 0.5 um in x and y (nanometres in its metadata): the engine brings it onto the
        // fixed voxel size and returns the map between physical positions in the fixed unit.
        var fine = AffinePair.Grid;
        var coarse = new VoxelGrid(128, 128, 48, 500, 500, 1000, 0, 0, 0, "nanometer");
        var blobs = SyntheticBlobs.RandomBlobs(fine, 450, 1.2, 2.2, seed: 1);
        var truthNm = (AffineTransform3D)AffinePair.Truth.InUnit("nanometer");
        var moving = SyntheticBlobs.Render(coarse, [.. blobs.Select(b => b with { X = b.X * 1000, Y = b.Y * 1000, Z = b.Z * 1000, Sigma = b.Sigma * 1000 })], truthNm, 20, seed: 3);
        using var fv = AffinePair.Volume(AffinePair.Fixed, fine);
        using var mv = AffinePair.Volume(moving, coarse);
        var result = FeatureAffine.Align(new VolumeView(fv), new VolumeView(mv), AffinePair.Options);
        Assert.Equal("micrometer", result.Transform.Unit);
        var error = TransformDistance.Measure(result.Transform, AffinePair.Truth, fine);
        output.WriteLine($"spots {result.FixedSpots}/{result.MovingSpots}, matches {result.Matches}, inliers {result.Inliers}, {error}");
        Assert.True(error.Mean < 0.3, $"mean displacement error {error}");
    }

    [Fact]
    public void TheSameSeedGivesTheSameAffine()
    {
        var a = FeatureAffine.AlignImages(AffinePair.Fixed, AffinePair.Grid, AffinePair.Moving, AffinePair.Grid, AffinePair.Options with { Seed = 5 });
        var b = FeatureAffine.AlignImages(AffinePair.Fixed, AffinePair.Grid, AffinePair.Moving, AffinePair.Grid, AffinePair.Options with { Seed = 5 });
        Assert.Equal(a.Transform.ToMatrix4x4(), b.Transform.ToMatrix4x4());
        Assert.Equal(a.Inliers, b.Inliers);
    }

    [Fact]
    public void AnInitialTransformLeavesOnlyTheResidual()
    {
        // Start from a translation-only guess; the result is what acts first on top of it.
        var guess = AffineTransform3D.Shift(2, -1.5, 1, "micrometer");
        using var fv = AffinePair.Volume(AffinePair.Fixed, AffinePair.Grid);
        using var mv = AffinePair.Volume(AffinePair.Moving, AffinePair.Grid);
        var result = FeatureAffine.Align(new VolumeView(fv), new VolumeView(mv), AffinePair.Options, guess);
        var error = TransformDistance.Measure(new TransformChain([guess, result.Transform]), AffinePair.Truth, AffinePair.Grid);
        output.WriteLine(error.ToString());
        Assert.True(error.Mean < 0.25, $"mean displacement error {error}");
    }

    [Fact]
    public void RecoversAPlanarAffine()
    {
        var grid = new VoxelGrid(256, 256, 1, 0.2, 0.2, 1, 0, 0, 0, "micrometer");
        var truth = SyntheticBlobs.KnownAffine(grid, rotZ: -5, rotX: 0, scale: (0.97, 1.03, 1), shearXY: -0.02, translation: (1.1, 0.7, 0));
        var blobs = SyntheticBlobs.RandomBlobs(grid, 500, 0.6, 1.0, seed: 21);
        var fix = SyntheticBlobs.Render(grid, blobs, AffineTransform3D.Identity(grid.Unit), 15, seed: 22);
        var mov = SyntheticBlobs.Render(grid, blobs, truth, 15, seed: 23);
        var result = FeatureAffine.AlignImages(fix, grid, mov, grid, AffinePair.Options with { AlignThreshold = 0.5 });
        var error = TransformDistance.Measure(result.Transform, truth, grid);
        output.WriteLine($"spots {result.FixedSpots}/{result.MovingSpots}, matches {result.Matches}, inliers {result.Inliers}, {error}");
        Assert.True(error.Mean < 0.2, $"mean displacement error {error}");
        Assert.Equal(1, result.Transform[2, 2]);
        Assert.Equal(0, result.Transform[2, 0]);
    }

    [Fact]
    public void TooFewSpotsFailWithAClearMessage()
    {
        var blank = new float[AffinePair.Grid.VoxelCount];
        var e = Assert.Throws<FeatureAlignmentException>(() => FeatureAffine.AlignImages(blank, AffinePair.Grid, AffinePair.Moving, AffinePair.Grid, AffinePair.Options));
        Assert.Contains("The fixed image has 0 spots; at least 100 are needed", e.Message);
    }

    [Fact]
    public void UnrelatedVolumesFailInsteadOfReturningGarbage()
    {
        var other = SyntheticBlobs.Render(AffinePair.Grid, SyntheticBlobs.RandomBlobs(AffinePair.Grid, 450, 1.2, 2.2, seed: 99), AffineTransform3D.Identity("micrometer"), 20, seed: 4);
        var e = Assert.Throws<FeatureAlignmentException>(() => FeatureAffine.AlignImages(AffinePair.Fixed, AffinePair.Grid, other, AffinePair.Grid, AffinePair.Options));
        output.WriteLine(e.Message);
        Assert.Matches("spot pairs correlate above|inliers among|diagonal|degenerate", e.Message);
    }

    [Fact]
    public void DegenerateMatchesFail()
    {
        // All matches on one line: no 3D affine is determined.
        var line = Enumerable.Range(0, 60).Select(i => (i * 1.0, 2.0 * i, 0.5 * i)).ToList();
        var e = Assert.Throws<FeatureAlignmentException>(() => FeatureAffine.FitMatches(line, line, AffinePair.Options, "micrometer", planar: false));
        Assert.Contains("RANSAC found 0 inliers", e.Message);
        // A mirror image is not an alignment.
        var cloud = Enumerable.Range(0, 60).Select(i => (Math.Sin(i) * 20, Math.Cos(1.7 * i) * 20, Math.Sin(0.3 * i) * 10)).ToList();
        var flipped = cloud.Select(p => (-p.Item1, p.Item2, p.Item3)).ToList();
        var e2 = Assert.Throws<FeatureAlignmentException>(() => FeatureAffine.FitMatches(cloud, flipped, AffinePair.Options, "micrometer", planar: false));
        Assert.Contains("diagonal", e2.Message);
    }
}

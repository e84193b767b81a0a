using EmAlign.Diagnostics;
using EmAlign.Features;
using EmAlign.Transforms;
using EmAlign.Volumes;
using Xunit.Abstractions;

namespace EmAlign.Tests.Features;

/// <summary>A smooth non-affine map, moving → fixed: S(y) = y + d(y), d sinusoidal with a 1.2 um amplitude.</summary>
internal sealed class Wobble(double amplitude, double wavelength) : SpatialTransform("micrometer")
{
    public override string Kind => "wobble";

    public override void TransformPoints(Span<double> x, Span<double> y, Span<double> z)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double k = 2 * Math.PI / wavelength;
            double dx = amplitude * Math.Sin(k * y[i]) * Math.Cos(0.5 * k * z[i]);
            double dy = amplitude * Math.Sin(k * x[i] + 1);
            double dz = 0.4 * amplitude * Math.Cos(k * (x[i] + y[i]));
            x[i] += dx; y[i] += dy; z[i] += dz;
        }
    }

    public override SpatialTransform InUnit(string unit) => unit == Unit ? this : throw new NotSupportedException();
}

public class PiecewiseAffineTests(ITestOutputHelper output)
{
    private static readonly VoxelGrid Grid = new(192, 192, 48, 0.4, 0.4, 1.0, 0, 0, 0, "micrometer");

    private static double Ncc(float[] a, float[] b, VoxelGrid g, int margin)
    {
        double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        long n = 0;
        for (long z = 2; z < g.SizeZ - 2; z++)
            for (long y = margin; y < g.SizeY - margin; y++)
                for (long x = margin; x < g.SizeX - margin; x++)
                {
                    long i = (z * g.SizeY + y) * g.SizeX + x;
                    sa += a[i]; sb += b[i]; saa += a[i] * (double)a[i]; sbb += b[i] * (double)b[i]; sab += a[i] * (double)b[i];
                    n++;
                }
        double ca = saa - sa * sa / n, cb = sbb - sb * sb / n, cab = sab - sa * sb / n;
        return cab / Math.Sqrt(ca * cb);
    }

    [Fact]
    public void PiecewiseBeatsGlobalOnASmoothDeformationWithoutSeams()
    {
        var wobble = new Wobble(1.2, 60);
        var blobs = SyntheticBlobs.RandomBlobs(Grid, 650, 1.2, 2.2, seed: 31);
        var fix = SyntheticBlobs.Render(Grid, blobs, AffineTransform3D.Identity(Grid.Unit), 20, seed: 32);
        var mov = SyntheticBlobs.Render(Grid, blobs, wobble, stretch: 1.2, noise: 20, seed: 33);
        using var fv = AffinePair.Volume(fix, Grid);
        using var mv = AffinePair.Volume(mov, Grid);
        var options = AffinePair.Options with { MinSpots = 20, MinMatches = 12 };

        var global = FeatureAffine.Align(new VolumeView(fv), new VolumeView(mv), options).Transform;
        var result = PiecewiseAffine.Align(new VolumeView(fv), new VolumeView(mv), new PiecewiseOptions { BlockSize = (64, 64, 24), Features = options }, global);
        var chain = new TransformChain([global, result.Transform]);
        Assert.Equal(18, result.Blocks.Count);
        foreach (var b in result.Blocks.Where(b => b.Failure is not null)) output.WriteLine($"block {b.X},{b.Y},{b.Z}: {b.Failure}");
        Assert.True(result.Blocks.Count(b => b.Transform is not null) >= 15);

        // Landmarks: where each blob centre lands in the moving volume (S⁻¹(p)), away from the faces.
        double globalError = 0, localError = 0;
        int count = 0;
        foreach (var b in blobs)
        {
            var (i, j, k) = Grid.ToVoxel(b.X, b.Y, b.Z);
            if (i < 12 || j < 12 || k < 4 || i > Grid.SizeX - 13 || j > Grid.SizeY - 13 || k > Grid.SizeZ - 5) continue;
            var truth = SyntheticBlobs.Preimage(wobble, b.X, b.Y, b.Z);
            double Err((double X, double Y, double Z) p) =>
                Math.Sqrt(Math.Pow((p.X - truth.X) / Grid.SpacingX, 2) + Math.Pow((p.Y - truth.Y) / Grid.SpacingY, 2) + Math.Pow((p.Z - truth.Z) / Grid.SpacingZ, 2));
            globalError += Err(global.Apply(b.X, b.Y, b.Z));
            localError += Err(chain.Apply(b.X, b.Y, b.Z));
            count++;
        }
        globalError /= count; localError /= count;

        double nccGlobal = Ncc(fix, Resampler.Resample(mov, Grid, global, Grid), Grid, 12);
        double nccLocal = Ncc(fix, Resampler.Resample(mov, Grid, chain, Grid), Grid, 12);
        output.WriteLine($"landmark error: global {globalError:0.000} voxel, piecewise {localError:0.000} voxel ({count} landmarks); NCC global {nccGlobal:0.0000}, piecewise {nccLocal:0.0000}");
        Assert.True(localError < 0.5 * globalError, $"piecewise {localError:0.000} vs global {globalError:0.000}");
        Assert.True(nccLocal > nccGlobal + 0.01, $"NCC piecewise {nccLocal:0.0000} vs global {nccGlobal:0.0000}");

        // No seams: the blended displacement changes smoothly from voxel to voxel, also across block borders (x = 64, 128),
        // while the same block affines switched hard at the borders would jump there.
        var hard = new LocalAffineTransform(Grid, (64, 64, 24), (1, 1, 1), [.. result.Blocks.Select(b => b.Transform)]);
        double blended = MaxStepAcrossX(chain.Apply), switched = MaxStepAcrossX(new TransformChain([global, hard]).Apply);
        double truthStep = MaxStepAcrossX((x, y, z) => SyntheticBlobs.Preimage(wobble, x, y, z));
        output.WriteLine($"largest voxel-to-voxel change of the displacement along x: true {truthStep:0.000}, blended {blended:0.000}, hard switch {switched:0.000} voxel");
        Assert.True(blended < 2 * truthStep + 0.05, $"blended step {blended:0.000} voxel, true {truthStep:0.000}");
        Assert.True(switched > 4 * blended, $"hard switch {switched:0.000} vs blended {blended:0.000}");
    }

    private static double MaxStepAcrossX(Func<double, double, double, (double X, double Y, double Z)> t)
    {
        double max = 0;
        for (int z = 4; z < Grid.SizeZ - 4; z += 6)
            for (int y = 8; y < Grid.SizeY - 8; y += 10)
            {
                var prev = t(0, y * Grid.SpacingY, z * Grid.SpacingZ);
                for (int x = 1; x < Grid.SizeX; x++)
                {
                    var p = t(x * Grid.SpacingX, y * Grid.SpacingY, z * Grid.SpacingZ);
                    double dx = (p.X - prev.X) / Grid.SpacingX - 1, dy = (p.Y - prev.Y) / Grid.SpacingY, dz = (p.Z - prev.Z) / Grid.SpacingZ;
                    max = Math.Max(max, Math.Sqrt(dx * dx + dy * dy + dz * dz));
                    prev = p;
                }
            }
        return max;
    }

    [Fact]
    public void BlocksWithoutFeaturesAreFilledAndAllFailingIsAnError()
    {
        // Blobs only in the left half: blocks on the right find no spots and take their neighbours' affines.
        var blobs = SyntheticBlobs.RandomBlobs(Grid with { SizeX = 96 }, 400, 1.2, 2.2, seed: 41);
        var shift = AffineTransform3D.Shift(0.6, -0.4, 0.3, Grid.Unit);
        var fix = SyntheticBlobs.Render(Grid, blobs, AffineTransform3D.Identity(Grid.Unit), 20, seed: 42);
        var mov = SyntheticBlobs.Render(Grid, blobs, shift, 20, seed: 43);
        using var fv = AffinePair.Volume(fix, Grid);
        using var mv = AffinePair.Volume(mov, Grid);
        var options = new PiecewiseOptions { BlockSize = (64, 192, 48), Features = AffinePair.Options with { MinSpots = 20, MinMatches = 12 } };
        var result = PiecewiseAffine.Align(new VolumeView(fv), new VolumeView(mv), options);
        Assert.Equal(3, result.Blocks.Count);
        Assert.NotNull(result.Blocks[0].Transform);
        Assert.Null(result.Blocks[2].Transform);
        Assert.Contains("spots", result.Blocks[2].Failure);
        Assert.False(result.Transform.Estimated[2]);
        var error = TransformDistance.Measure(result.Transform, shift, Grid);
        output.WriteLine(error.ToString());
        Assert.True(error.Mean < 0.3, error.ToString());

        var blank = new float[Grid.VoxelCount];
        using var bv = AffinePair.Volume(blank, Grid);
        var e = Assert.Throws<FeatureAlignmentException>(() => PiecewiseAffine.Align(new VolumeView(bv), new VolumeView(mv), options));
        Assert.Contains("None of the 3 blocks could be aligned", e.Message);
    }

    [Fact]
    public void OverlapIsAFractionOfTheBlock()
    {
        Assert.Equal((64, 64, 16), PiecewiseAffine.Overlaps(new PiecewiseOptions { BlockSize = (128, 128, 32) }));
        Assert.Equal((16, 16, 4), PiecewiseAffine.Overlaps(new PiecewiseOptions { BlockSize = (128, 128, 32), Overlap = 0.125 }));
        Assert.Throws<EmAlignException>(() => PiecewiseAffine.Overlaps(new PiecewiseOptions { Overlap = 0.7 }));
        Assert.Throws<EmAlignException>(() => PiecewiseAffine.Overlaps(new PiecewiseOptions { BlockSize = (0, 8, 8) }));
    }
}

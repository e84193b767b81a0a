using EmAlign.Diagnostics;
using EmAlign.Transforms;

namespace EmAlign.Tests.Transforms;

public class LocalAffineTests
{
    [Theory]
    [InlineData(300, 64, 32)]   // bigstream's default overlap 0.5, partial last block
    [InlineData(256, 64, 8)]
    [InlineData(100, 40, 1)]    // hard switch
    [InlineData(50, 64, 32)]    // one block
    public void RampWeightsSumToOneEverywhere(int size, int block, int overlap)
    {
        int count = (size + block - 1) / block;
        for (double u = -3; u < size + 3; u += 0.25)
        {
            double sum = 0;
            for (int b = 0; b < count; b++)
            {
                double w = LocalAffineTransform.RampWeight(u, b, count, block, overlap);
                Assert.InRange(w, 0, 1);
                sum += w;
            }
            Assert.Equal(1, sum, 12);
        }
    }

    [Fact]
    public void RampsMatchBigstreamsLinearRamp()
    {
        // Blocks of 64 with overlap 32: across the border at 64, block 1 rises over voxels 32..95 as (u - 32) / 63.
        for (int u = 32; u <= 95; u++)
            Assert.Equal((u - 32) / 63.0, LocalAffineTransform.RampWeight(u, 1, 3, 64, 32), 12);
        Assert.Equal(1, LocalAffineTransform.RampWeight(10, 0, 3, 64, 32));   // the volume's first face keeps weight one
        Assert.Equal(0, LocalAffineTransform.RampWeight(10, 1, 3, 64, 32));
    }

    private static readonly VoxelGrid Grid = new(96, 80, 20, 0.5, 0.5, 1, 0, 0, 0, "micrometer");

    private static AffineTransform3D Shift(double x, double y, double z) => AffineTransform3D.Shift(x, y, z, "micrometer");

    [Fact]
    public void EqualBlocksGiveTheirAffineAndMissingBlocksAreFilled()
    {
        var a = new AffineTransform3D([1.01, 0.02, 0, 1, 0, 0.99, 0, -2, 0, 0, 1, 0.5], "micrometer");
        var affines = Enumerable.Repeat<AffineTransform3D?>(a, 3 * 3 * 2).ToArray();
        affines[4] = null; // block (1, 1, 0) failed
        var local = new LocalAffineTransform(Grid, (32, 32, 10), (16, 16, 5), affines);
        Assert.Equal((3, 3, 2), local.BlockCounts);
        Assert.False(local.Estimated[4]);
        Assert.All(a.ToMatrix4x4().Zip(local.BlockAffine(1, 1, 0).ToMatrix4x4()), v => Assert.Equal(v.First, v.Second, 12));
        var d = TransformDistance.Measure(local, a, Grid, step: 3);
        Assert.True(d.Max < 1e-9, d.ToString());
    }

    [Fact]
    public void BlendingIsContinuousAcrossBlockBorders()
    {
        var rng = new Random(5);
        var affines = Enumerable.Range(0, 18).Select(_ => (AffineTransform3D?)Shift(rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1, rng.NextDouble() - 0.5)).ToArray();
        double MaxStep(int overlap)
        {
            var local = new LocalAffineTransform(Grid, (32, 32, 10), (overlap, overlap, 5), affines);
            double max = 0;
            var prev = local.Apply(0, 20, 8);
            for (int x = 1; x < Grid.SizeX; x++)
            {
                var p = local.Apply(x * Grid.SpacingX, 20, 8);
                max = Math.Max(max, Math.Abs(p.X - prev.X - Grid.SpacingX));
                prev = p;
            }
            return max;
        }
        // Tent ramps spread a block-to-block change of at most 2 um over 32 voxels; a hard switch (overlap 1) jumps.
        Assert.True(MaxStep(16) < 2.0 / 31 + 1e-9, $"{MaxStep(16)}");
        Assert.True(MaxStep(1) > 4 * MaxStep(16));
    }

    [Fact]
    public void ConvertsToADisplacementFieldAndBetweenUnits()
    {
        var rng = new Random(6);
        var affines = Enumerable.Range(0, 18).Select(_ => (AffineTransform3D?)Shift(rng.NextDouble(), rng.NextDouble(), 0)).ToArray();
        var local = new LocalAffineTransform(Grid, (32, 32, 10), (16, 16, 5), affines);
        var field = local.ToDisplacementField(Grid);
        for (int i = 0; i < 50; i++)
        {
            var (x, y, z) = Grid.ToPhysical(rng.Next(96), rng.Next(80), rng.Next(20));
            var a = local.Apply(x, y, z);
            var b = field.Apply(x, y, z);
            Assert.Equal(a.X, b.X, 4);
            Assert.Equal(a.Y, b.Y, 4);
        }
        var nm = local.InUnit("nanometer");
        var p = nm.Apply(10_000, 12_000, 3_000);
        var q = local.Apply(10, 12, 3);
        Assert.Equal(q.X * 1000, p.X, 6);
    }

    [Fact]
    public void RejectsBadBlockGeometry()
    {
        var one = new AffineTransform3D?[18];
        one[0] = Shift(0, 0, 0);
        Assert.Contains("Overlap along x is 20", Assert.Throws<EmAlignException>(() => new LocalAffineTransform(Grid, (32, 32, 10), (20, 16, 5), one)).Message);
        Assert.Contains("None of the 18 blocks", Assert.Throws<EmAlignException>(() => new LocalAffineTransform(Grid, (32, 32, 10), (16, 16, 5), new AffineTransform3D?[18])).Message);
        Assert.Throws<ArgumentException>(() => new LocalAffineTransform(Grid, (32, 32, 10), (16, 16, 5), new AffineTransform3D?[17]));
    }
}

using System.Runtime.InteropServices;
using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Tests.Formats.Zarr;
using EmAlign.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.Tests.Volumes;

/// <summary>Downsampling kernels, the WEBKNOSSOS mag schedule and pyramid building on stored volumes.</summary>
public class DownsamplingTests
{
    /// <summary>A plain reference: every group gathered as doubles, reduced by the filter's definition.</summary>
    private static double[] Reference(double[] src, int sx, int sy, int sz, Mag f, DownsampleFilter filter, bool integer)
    {
        int dx = (sx + f.X - 1) / f.X, dy = (sy + f.Y - 1) / f.Y, dz = (sz + f.Z - 1) / f.Z;
        var r = new double[dx * dy * dz];
        for (int oz = 0; oz < dz; oz++)
            for (int oy = 0; oy < dy; oy++)
                for (int ox = 0; ox < dx; ox++)
                {
                    var g = new List<double>();
                    for (int z = oz * f.Z; z < Math.Min(sz, (oz + 1) * f.Z); z++)
                        for (int y = oy * f.Y; y < Math.Min(sy, (oy + 1) * f.Y); y++)
                            for (int x = ox * f.X; x < Math.Min(sx, (ox + 1) * f.X); x++) g.Add(src[(z * sy + y) * sx + x]);
                    double v = filter switch
                    {
                        DownsampleFilter.Mean => g.Average(),
                        DownsampleFilter.Max => g.Max(),
                        DownsampleFilter.Nearest => g[0],
                        DownsampleFilter.Median => Median(g),
                        _ => g.GroupBy(a => a).OrderByDescending(k => k.Count()).ThenBy(k => k.Key).First().Key,
                    };
                    r[(oz * dy + oy) * dx + ox] = integer ? Math.Round(v, MidpointRounding.AwayFromZero) : v;
                }
        return r;
    }

    private static double Median(List<double> g)
    {
        g.Sort();
        return g.Count % 2 == 1 ? g[g.Count / 2] : (g[g.Count / 2 - 1] + g[g.Count / 2]) / 2;
    }

    public static TheoryData<DataType, DownsampleFilter, string> KernelCases()
    {
        var data = new TheoryData<DataType, DownsampleFilter, string>();
        foreach (var t in new[] { DataType.UInt8, DataType.Int16, DataType.UInt32, DataType.Float32, DataType.Float64 })
            foreach (var f in Enum.GetValues<DownsampleFilter>())
                foreach (var m in new[] { "2-2-1", "2-2-2", "3-1-2" }) data.Add(t, f, m);
        return data;
    }

    [Theory]
    [MemberData(nameof(KernelCases))]
    public void KernelsMatchTheReferenceIncludingShortEdgeGroups(DataType type, DownsampleFilter filter, string mag)
    {
        var f = Mag.Parse(mag);
        int sx = 37, sy = 9, sz = 5, channels = 2;   // odd sizes: short groups at every far edge
        var rnd = new Random(7);
        var values = new double[channels * sx * sy * sz];
        // Few distinct values so that the mode is meaningful.
        for (int i = 0; i < values.Length; i++) values[i] = type.IsFloat() ? Math.Round(rnd.NextDouble() * 40, 2) : rnd.Next(0, 6) * 40 + (type.IsSigned() ? -80 : 0);
        var src = new byte[values.Length * type.Size()];
        VoxelConvert.FromSingle([.. values.Select(v => (float)v)], type, src);
        int dx = (sx + f.X - 1) / f.X, dy = (sy + f.Y - 1) / f.Y, dz = (sz + f.Z - 1) / f.Z;
        var dst = new byte[channels * dx * dy * dz * type.Size()];
        Downsampler.Reduce(src, type, channels, (sx, sy, sz), f, filter, dst);
        var got = new float[channels * dx * dy * dz];
        VoxelConvert.ToSingle(dst, type, got);
        for (int c = 0; c < channels; c++)
        {
            var expected = Reference(values[(c * sx * sy * sz)..((c + 1) * sx * sy * sz)], sx, sy, sz, f, filter, !type.IsFloat());
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - got[c * expected.Length + i]) <= (type.IsFloat() ? 1e-3 : 0), $"{expected[i]} != {got[c * expected.Length + i]} at {c}/{i}");
        }
    }

    [Fact]
    public void UInt8MeanRoundsHalfUpOnTheVectorPath()
    {
        // 64 wide so the SIMD row sums run; group {1, 2, 2, 2} averages 1.75 -> 2, {0, 1, 0, 1} 0.5 -> 1.
        int sx = 64;
        var src = new byte[2 * sx];
        for (int x = 0; x < sx; x++) { src[x] = (byte)(x % 4 == 0 ? 1 : 2); src[sx + x] = (byte)(x % 4 < 2 ? 2 : x % 2); }
        var dst = new byte[sx / 2];
        Downsampler.Reduce(src, DataType.UInt8, 1, (sx, 2, 1), new Mag(2, 2, 1), DownsampleFilter.Mean, dst);
        for (int ox = 0; ox < sx / 2; ox++)
        {
            int s = src[2 * ox] + src[2 * ox + 1] + src[sx + 2 * ox] + src[sx + 2 * ox + 1];
            Assert.Equal((s + 2) / 4, dst[ox]);
        }
    }

    [Theory]
    [InlineData(11.24, 11.24, 28, 16, "2-2-1 4-4-2 8-8-4 16-16-8")]
    [InlineData(4, 4, 40, 32, "2-2-1 4-4-1 8-8-1 16-16-2 32-32-4")]
    [InlineData(5, 5, 5, 8, "2-2-2 4-4-4 8-8-8")]
    public void AnisotropicScheduleMatchesWebKnossos(double x, double y, double z, int coarsest, string expected)
    {
        var mags = PyramidSchedule.Mags(new VoxelSize(x, y, z), coarsest);
        Assert.Equal(expected, string.Join(' ', mags));
    }

    [Fact]
    public void OtherModesAndTheDefaultCoarsest()
    {
        Assert.Equal("2-2-2 4-4-4", string.Join(' ', PyramidSchedule.Mags(new VoxelSize(4, 4, 40), 4, PyramidMode.Isotropic)));
        Assert.Equal("2-2-1 4-4-1", string.Join(' ', PyramidSchedule.Mags(new VoxelSize(4, 4, 40), 4, PyramidMode.ConstantZ)));
        Assert.Equal(16, PyramidSchedule.DefaultCoarsest(1024, 1024));
        Assert.Equal(4, PyramidSchedule.DefaultCoarsest(100, 20));
        // A step that only rounds voxels (4-4-2 -> 4-4-4 on isotropic data) is taken but not listed.
        Assert.Equal("8-8-8", string.Join(' ', PyramidSchedule.Mags(new VoxelSize(1, 1, 1), 8, from: new Mag(4, 4, 2))));
    }

    [Fact]
    public void DownsampleAddsOmeLevelsThatMatchStepwiseReduction()
    {
        using var tmp = new TempFolder();
        long[] shape = [6, 70, 90];
        var data = PatternData.Make(DataType.UInt8, shape);
        using (var v = VolumeFormats.Create("zarr3", tmp["p.zarr"], new VolumeCreateOptions
        {
            DataType = DataType.UInt8, Shape = shape, ChunkShape = [4, 32, 32], VoxelSize = new VoxelSize(4, 4, 20),
            ExtraMags = [new Mag(2, 2, 1)],
        }))
            v.Write(0, Box3.FromSize(90, 70, 6), data);
        // Level 2-2-1 exists (still empty); add the rest of the schedule.
        var result = Pyramid.Downsample(tmp["p.zarr"], new DownsampleOptions { Force = true, Coarsest = 8 });
        Assert.Equal("2-2-1 4-4-1 8-8-2", string.Join(' ', result.Computed));

        using var back = VolumeFormats.Open(tmp["p.zarr"]);
        Assert.Equal(4, back.Levels.Count);
        var expected = data;
        (int X, int Y, int Z) size = (90, 70, 6);
        for (int k = 1; k < 4; k++)
        {
            var m = back.Levels[k].Mag;
            var prev = back.Levels[k - 1].Mag;
            var f = new Mag(m.X / prev.X, m.Y / prev.Y, m.Z / prev.Z);
            var reduced = Reference([.. expected.Select(b => (double)b)], size.X, size.Y, size.Z, f, DownsampleFilter.Mean, true);
            expected = [.. reduced.Select(d => (byte)d)];
            size = ((size.X + f.X - 1) / f.X, (size.Y + f.Y - 1) / f.Y, (size.Z + f.Z - 1) / f.Z);
            Assert.Equal((long)size.X, back.Levels[k].Size.X);
            Assert.Equal(expected, ZarrFixtureTests.ReadAll(back, k));
        }
        // Nothing to do the second time.
        Assert.Empty(Pyramid.Downsample(tmp["p.zarr"], new DownsampleOptions { Coarsest = 8 }).Computed);
    }

    [Fact]
    public void AFailedFillLeavesNoListedLevel()
    {
        using var tmp = new TempFolder();
        using (var v = VolumeFormats.Create("zarr3", tmp["f.zarr"], new VolumeCreateOptions
        {
            DataType = DataType.UInt8, Shape = [2, 64, 64], ChunkShape = [2, 32, 32], ExtraMags = [new Mag(2, 2, 1)],
        }))
            v.Write(0, Box3.FromSize(64, 64, 2), PatternData.Make(DataType.UInt8, [2, 64, 64]));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Pyramid.Downsample(tmp["f.zarr"], new DownsampleOptions { Mags = [new Mag(4, 4, 1)] }, null, cts.Token));
        using var back = VolumeFormats.Open(tmp["f.zarr"]);
        Assert.Equal(2, back.Levels.Count);
        Assert.False(Directory.Exists(tmp["f.zarr/s2"]));
    }

    [Fact]
    public void CopyMovesARegionOfALevel()
    {
        var src = new EmVolume("mem", "memory", "", [new VolumeLevel(Mag.One, new MemoryChunkedArray(DataType.UInt16, [4, 30, 40], [2, 8, 8]))], VoxelSize.Unknown);
        var data = PatternData.Make(DataType.UInt16, [4, 30, 40]);
        src.Write(0, Box3.FromSize(40, 30, 4), data);
        var dst = new EmVolume("mem2", "memory", "", [new VolumeLevel(Mag.One, new MemoryChunkedArray(DataType.UInt16, [2, 20, 25], [2, 16, 16]))], VoxelSize.Unknown);
        PyramidBuilder.Copy(src, 0, new Box3(10, 5, 1, 25, 20, 2), dst);
        var got = dst.Read<ushort>(0, Box3.FromSize(25, 20, 2));
        var all = MemoryMarshal.Cast<byte, ushort>(data);
        for (int z = 0; z < 2; z++)
            for (int y = 0; y < 20; y++)
                for (int x = 0; x < 25; x++) Assert.Equal(all[((z + 1) * 30 + y + 5) * 40 + x + 10], got[(z * 20 + y) * 25 + x]);
    }
}

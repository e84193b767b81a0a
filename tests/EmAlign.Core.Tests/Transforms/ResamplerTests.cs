using EmAlign.Diagnostics;
using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Transforms;
using EmAlign.Volumes;

namespace EmAlign.Tests.Transforms;

public class ResamplerTests
{
    private static readonly VoxelGrid Grid = new(24, 20, 8, 0.5, 0.5, 2, 0, 0, 0, "micrometer");

    private static float[] Ramp(VoxelGrid g, Func<long, long, long, float> f)
    {
        var v = new float[g.VoxelCount];
        for (long z = 0, i = 0; z < g.SizeZ; z++)
            for (long y = 0; y < g.SizeY; y++)
                for (long x = 0; x < g.SizeX; x++, i++) v[i] = f(x, y, z);
        return v;
    }

    private static readonly float[] Source = Ramp(Grid, (x, y, z) => (float)(3 * x + 7 * y + 11 * z + Math.Sin(x * 0.7) * 5));

    [Theory]
    [InlineData(Interpolation.Nearest)]
    [InlineData(Interpolation.Linear)]
    [InlineData(Interpolation.Cubic)]
    public void IdentityGivesTheSourceBack(Interpolation interpolation)
    {
        var result = Resampler.Resample(Source, Grid, AffineTransform3D.Identity(Grid.Unit), Grid, interpolation);
        for (int i = 0; i < Source.Length; i++) Assert.Equal(Source[i], result[i], 3);
    }

    [Fact]
    public void WholeVoxelShiftsMoveDataAndFillTheRestWithBackground()
    {
        // T(p) = p + 2 voxels in x: out(x) = source(x + 2).
        var shift = AffineTransform3D.Shift(2 * Grid.SpacingX, 0, 0, Grid.Unit);
        var result = Resampler.Resample(Source, Grid, shift, Grid, Interpolation.Linear, background: -1);
        for (long z = 0; z < Grid.SizeZ; z++)
            for (long y = 0; y < Grid.SizeY; y++)
                for (long x = 0; x < Grid.SizeX; x++)
                {
                    long i = (z * Grid.SizeY + y) * Grid.SizeX + x;
                    Assert.Equal(x + 2 < Grid.SizeX ? Source[i + 2] : -1, result[i], 3);
                }
    }

    [Theory]
    [InlineData(Interpolation.Linear)]
    [InlineData(Interpolation.Cubic)]
    public void LinearFunctionsAreReproducedBetweenVoxels(Interpolation interpolation)
    {
        var linear = Ramp(Grid, (x, y, z) => 2 * x - 3 * y + 5 * z);
        var t = AffineTransform3D.Shift(0.3 * Grid.SpacingX, 0.45 * Grid.SpacingY, 0.2 * Grid.SpacingZ, Grid.Unit);
        var result = Resampler.Resample(linear, Grid, t, Grid, interpolation);
        // Away from the far faces (where samples fall past the last voxel) values are exact.
        for (long z = 1; z < Grid.SizeZ - 2; z++)
            for (long y = 1; y < Grid.SizeY - 2; y++)
                for (long x = 1; x < Grid.SizeX - 2; x++)
                    Assert.Equal(2 * (x + 0.3) - 3 * (y + 0.45) + 5 * (z + 0.2), result[(z * Grid.SizeY + y) * Grid.SizeX + x], 3);
    }

    private static EmVolume MemoryVolume(float[] data, VoxelGrid g, int channels = 1)
    {
        long[] shape = channels == 1 ? [g.SizeZ, g.SizeY, g.SizeX] : [channels, g.SizeZ, g.SizeY, g.SizeX];
        int[] chunks = channels == 1 ? [4, 8, 8] : [1, 4, 8, 8];
        var v = new EmVolume("memory", "memory", "", [new VolumeLevel(Mag.One, new MemoryChunkedArray(DataType.Float32, shape, chunks))],
            new VoxelSize(g.SpacingX, g.SpacingY, g.SpacingZ, g.Unit));
        v.Write<float>(0, v.Bounds, data);
        return v;
    }

    [Fact]
    public void VolumesReadOnlyWhatTheyNeedAndGiveTheSameValues()
    {
        var t = new AffineTransform3D([0.98, 0.1, 0, 0.7, -0.1, 0.99, 0, 0.4, 0, 0, 1, 0.9], Grid.Unit);
        var expected = Resampler.Resample(Source, Grid, t, Grid, Interpolation.Cubic);
        using var v = MemoryVolume(Source, Grid);
        // A tiny read budget forces the target rows to be split into many small reads.
        var split = Resampler.Resample(v, 0, t, Grid, Interpolation.Cubic, maxSourceVoxels: 200);
        var whole = Resampler.Resample(v, 0, t, Grid, Interpolation.Cubic);
        Assert.Equal(expected, split);
        Assert.Equal(expected, whole);
    }

    [Fact]
    public void EveryChannelIsResampled()
    {
        var two = Source.Concat(Source.Select(s => -s)).ToArray();
        using var v = MemoryVolume(two, Grid, channels: 2);
        var t = AffineTransform3D.Shift(0.2, -0.3, 0.5, Grid.Unit);
        var r = Resampler.Resample(v, 0, t, Grid.Sub(new Box3(2, 3, 1, 10, 9, 4)));
        Assert.Equal(2 * 10 * 9 * 4, r.Length);
        for (int i = 0; i < r.Length / 2; i++) Assert.Equal(-r[i], r[r.Length / 2 + i], 4);
    }

    [Fact]
    public void ExportWritesTheMovingVolumeOnTheFixedGrid()
    {
        string dir = Path.Combine(Path.GetTempPath(), "emalign-warp-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            // Moving: uint8 at 0.5 um; fixed: a coarser 1 um grid in nanometres.
            var bytes = Source.Select(s => (byte)Math.Clamp(s, 0, 255)).ToArray();
            using var moving = new EmVolume("memory", "memory", "", [new VolumeLevel(Mag.One, new MemoryChunkedArray(DataType.UInt8, [Grid.SizeZ, Grid.SizeY, Grid.SizeX], [4, 8, 8]))],
                new VoxelSize(0.5, 0.5, 2, "micrometer"));
            moving.Write<byte>(0, moving.Bounds, bytes);
            using var like = new EmVolume("like", "memory", "", [new VolumeLevel(Mag.One, new MemoryChunkedArray(DataType.UInt16, [6, 9, 11], [6, 9, 11]))],
                new VoxelSize(1000, 1000, 2000, "nanometer"));
            var t = AffineTransform3D.Shift(300, -200, 100, "nanometer");
            string dst = Path.Combine(dir, "warped.tif");
            var result = VolumeWarper.Export(moving, dst, new WarpOptions { Like = like, Transform = t, Interpolation = Interpolation.Linear });
            Assert.Equal("tiff", result.Format);
            Assert.Equal(DataType.UInt8, result.DataType);
            using var written = VolumeFormats.Open(dst);
            Assert.Equal(Box3.FromSize(11, 9, 6), written.Bounds);
            var expected = Resampler.Resample(moving, 0, t, VoxelGrid.Of(like));
            var got = written.Read<byte>(0, written.Bounds);
            for (int i = 0; i < got.Length; i++) Assert.Equal((byte)Math.Clamp(Math.Round(expected[i]), 0, 255), got[i]);
            Assert.Throws<OutputExistsException>(() => VolumeWarper.Export(moving, dst, new WarpOptions { Like = like, Transform = t }));
            VolumeWarper.Export(moving, dst, new WarpOptions { Like = like, Transform = t, Force = true });
            Assert.Contains("Cannot tell the output format", Assert.Throws<EmAlignException>(() => VolumeWarper.Export(moving, Path.Combine(dir, "x.raw"), new WarpOptions { Like = like, Transform = t })).Message);
            Assert.Empty(Directory.GetFileSystemEntries(dir, "*partial*"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void ChoosesTheCoarsestMovingLevelThatIsNotCoarserThanTheOutput()
    {
        EmVolume Pyramid() => new("p", "memory", "", [
            new VolumeLevel(Mag.One, new MemoryChunkedArray(DataType.UInt8, [8, 64, 64], [8, 64, 64])),
            new VolumeLevel(new Mag(2, 2, 1), new MemoryChunkedArray(DataType.UInt8, [8, 32, 32], [8, 32, 32])),
            new VolumeLevel(new Mag(4, 4, 2), new MemoryChunkedArray(DataType.UInt8, [4, 16, 16], [4, 16, 16]))], new VoxelSize(10, 10, 40));
        using var p = Pyramid();
        Assert.Equal(0, VolumeWarper.ChooseLevel(p, new VoxelGrid(10, 10, 10, 10, 10, 40, 0, 0, 0, "nanometer")));
        Assert.Equal(1, VolumeWarper.ChooseLevel(p, new VoxelGrid(10, 10, 10, 25, 25, 40, 0, 0, 0, "nanometer")));
        Assert.Equal(2, VolumeWarper.ChooseLevel(p, new VoxelGrid(10, 10, 10, 0.04, 0.04, 0.08, 0, 0, 0, "micrometer")));
    }
}

using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.Tests.Formats.Zarr;

/// <summary>Reading Zarr v2 arrays and groups written by zarr-python 2.13 (../shared/fixtures).</summary>
public class ZarrFixtureTests
{
    public static TheoryData<string> Zarr2Names => FixtureManifest.Names("zarr2");

    internal static byte[] ReadAll(EmVolume v, int level = 0)
    {
        var bytes = new byte[v.BlockBytes(v.Levels[level].Bounds)];
        v.Read(level, v.Levels[level].Bounds, bytes);
        return bytes;
    }

    internal static long[] ShapeOf(EmVolume v, int level = 0) => [.. v.Levels[level].Array.Shape];

    [FixtureTheory]
    [MemberData(nameof(Zarr2Names))]
    public void ReadsEveryManifestArrayExactly(string name)
    {
        var e = FixtureManifest.Get(name);
        using var v = VolumeFormats.Open(SharedData.Fixture(e.Name));
        Assert.Equal("zarr2", v.Format);
        Assert.Equal(e.Shape, ShapeOf(v));
        Assert.True(EmAlign.Volumes.DataTypes.TryParseTypeString(e.Dtype, out var t, out _));
        Assert.Equal(t, v.DataType);
        Assert.Equal(e.Sha256, FixtureManifest.Sha256(ReadAll(v), e.Dtype));
    }

    [FixtureFact]
    public void FortranOrderChunksHoldTheFixtureValues()
    {
        using var v = VolumeFormats.Open(SharedData.Fixture("zarr2/uint16-F-order-zlib.zarr"));
        var box = new Box3(13, 7, 2, 30, 20, 5);
        var got = v.Read<ushort>(0, box);
        for (int z = 0; z < box.SizeZ; z++)
            for (int y = 0; y < box.SizeY; y++)
                for (int x = 0; x < box.SizeX; x++)
                    Assert.Equal(FixtureManifest.Value(DataType.UInt16, 0, z + box.Z, y + box.Y, x + box.X), got[(z * box.SizeY + y) * box.SizeX + x]);
    }

    [FixtureFact]
    public void BigEndianArraysReadAsNativeValues()
    {
        using var v = VolumeFormats.Open(SharedData.Fixture("zarr2/uint16-be-raw.zarr"));
        var got = v.Read<ushort>(0, new Box3(60, 44, 6, 1, 1, 1));
        Assert.Equal(FixtureManifest.Value(DataType.UInt16, 0, 6, 44, 60), got[0]);
    }

    [FixtureFact]
    public void SparseArrayReadsNaNFillOutsideItsOnlyChunk()
    {
        using var v = VolumeFormats.Open(SharedData.Fixture("zarr2/float32-nan-fill-sparse.zarr"));
        Assert.True(double.IsNaN(v.Levels[0].Array.FillValue));
        var all = v.Read<float>(0, v.Levels[0].Bounds);
        // The one stored chunk (z 0-2, y 0-15, x 0-31) holds a single finite value; the manifest sha checks it exactly.
        float stored = all[0];
        Assert.True(float.IsFinite(stored));
        int nan = 0;
        for (int z = 0; z < 7; z++)
            for (int y = 0; y < 45; y++)
                for (int x = 0; x < 61; x++)
                {
                    float f = all[(z * 45 + y) * 61 + x];
                    if (z < 3 && y < 16 && x < 32) Assert.Equal(stored, f);
                    else { Assert.True(float.IsNaN(f)); nan++; }
                }
        Assert.Equal(7 * 45 * 61 - 3 * 16 * 32, nan);
        Assert.False(v.Levels[0].Array.TryReadChunk([1, 0, 0], new byte[3 * 16 * 32 * 4]));
    }

    [FixtureFact]
    public void NgffGroupOpensAsPyramidWithVoxelSize()
    {
        using var v = VolumeFormats.Open(SharedData.Fixture("zarr2/multiscale-ngff.zarr"));
        Assert.Equal(2, v.Levels.Count);
        Assert.Equal(Mag.One, v.Levels[0].Mag);
        Assert.Equal(new Mag(2, 2, 1), v.Levels[1].Mag);
        Assert.Equal(new VoxelSize(4, 4, 50, "nanometer"), v.VoxelSize);
        Assert.Equal(Box3.FromSize(61, 45, 7), v.Bounds);
        Assert.EndsWith("multiscale-ngff.zarr", v.Path);
        Assert.Equal("", v.Dataset);
        var fine = v.Read<byte>(0, v.Levels[0].Bounds);
        var coarse = v.Read<byte>(1, v.Levels[1].Bounds);
        Assert.Equal((31L, 23L, 7L), v.Levels[1].Size);
        for (int z = 0; z < 7; z++)
            for (int y = 0; y < 23; y++)
                for (int x = 0; x < 31; x++)
                    Assert.Equal(fine[(z * 45 + 2 * y) * 61 + 2 * x], coarse[(z * 23 + y) * 31 + x]);
    }

    [FixtureFact]
    public void FunlibAttributesGiveVoxelSizeOffsetAndChannels()
    {
        using var v = VolumeFormats.Open(SharedData.Fixture("zarr2/multiscale-ngff.zarr/raw"));
        Assert.Equal("raw", v.Dataset);
        Assert.True(v.HasChannelAxis);
        Assert.Equal(3, v.Channels);
        Assert.Equal(new VoxelSize(4, 4, 50, "nanometer"), v.VoxelSize);
        Assert.Equal((8.0, 8.0, 100.0), v.Offset);
        var block = v.Read<byte>(0, new Box3(3, 4, 5, 2, 1, 1));
        Assert.Equal(new byte[]
        {
            (byte)FixtureManifest.Value(DataType.UInt8, 0, 5, 4, 3), (byte)FixtureManifest.Value(DataType.UInt8, 0, 5, 4, 4),
            (byte)FixtureManifest.Value(DataType.UInt8, 1, 5, 4, 3), (byte)FixtureManifest.Value(DataType.UInt8, 1, 5, 4, 4),
            (byte)FixtureManifest.Value(DataType.UInt8, 2, 5, 4, 3), (byte)FixtureManifest.Value(DataType.UInt8, 2, 5, 4, 4),
        }, block);
    }

    [FixtureFact]
    public void WebknossosZarrLayerReadsAsPlainArray()
    {
        using var v = VolumeFormats.Open(SharedData.Fixture("webknossos/simple_zarr_dataset/color/1-1-1"));
        Assert.Equal([3L, 24, 24, 24], ShapeOf(v));
        Assert.Equal("color/1-1-1", v.Dataset);
        // The fixtures README gives the sha256 prefix of this array's bytes as zarr-python reads them.
        Assert.StartsWith("d7b8109d508a4b15", FixtureManifest.Sha256(ReadAll(v), "|u1"));
    }
}

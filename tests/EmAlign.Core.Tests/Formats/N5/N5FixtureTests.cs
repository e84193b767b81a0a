using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Tests.Formats.Zarr;
using EmAlign.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.Tests.Formats.N5;

/// <summary>Reading N5 datasets written by zarr-python 2.13's N5 store and by WEBKNOSSOS tooling (../shared/fixtures).</summary>
public class N5FixtureTests
{
    public static TheoryData<string> N5Names => FixtureManifest.Names("n5");

    [FixtureTheory]
    [MemberData(nameof(N5Names))]
    public void ReadsEveryManifestDatasetExactly(string name)
    {
        var e = FixtureManifest.Get(name);
        using var v = VolumeFormats.Open(SharedData.Fixture(e.Name));
        Assert.Equal("n5", v.Format);
        Assert.Equal(e.Shape, ZarrFixtureTests.ShapeOf(v));
        Assert.True(DataTypes.TryParseTypeString(e.Dtype, out var t, out _));
        Assert.Equal(t, v.DataType);
        Assert.Equal(e.Sha256, FixtureManifest.Sha256(ZarrFixtureTests.ReadAll(v), e.Dtype));
    }

    [FixtureFact]
    public void BigEndianBlocksReadAsNativeValues()
    {
        using var v = VolumeFormats.Open(SharedData.Fixture("n5/uint16-gzip.n5"));
        var box = new Box3(50, 40, 5, 11, 5, 2);   // crosses the (full-size) edge blocks zarr-python wrote
        var got = v.Read<ushort>(0, box);
        for (int z = 0; z < 2; z++)
            for (int y = 0; y < 5; y++)
                for (int x = 0; x < 11; x++)
                    Assert.Equal(FixtureManifest.Value(DataType.UInt16, 0, z + 5, y + 40, x + 50), got[(z * 5 + y) * 11 + x]);
    }

    [FixtureFact]
    public void WebknossosN5LayerMatchesItsZarrCopy()
    {
        // The N5 copy stores (c, x, y, z) as uint32 (N5 lists c first, so the C-order view is z, y, x, c);
        // the Zarr copy stores the same values as uint8 in (c, x, y, z) C order.
        using var n5 = VolumeFormats.Open(SharedData.Fixture("webknossos/simple_n5_dataset/color/1"));
        using var zarr = VolumeFormats.Open(SharedData.Fixture("webknossos/simple_zarr_dataset/color/1-1-1"));
        Assert.Equal("n5", n5.Format);
        Assert.Equal(DataType.UInt32, n5.DataType);
        Assert.Equal([24L, 24, 24, 3], ZarrFixtureTests.ShapeOf(n5));
        var a = n5.Read<uint>(0, n5.Levels[0].Bounds);   // [i0, i1, i2, c] = [z, y, x, c]
        var b = zarr.Read<byte>(0, zarr.Levels[0].Bounds); // [c, x, y, z]
        Assert.Contains(b, v => v != 0);
        for (int z = 0; z < 24; z++)
            for (int y = 0; y < 24; y++)
                for (int x = 0; x < 24; x++)
                    for (int c = 0; c < 3; c++)
                        Assert.Equal(b[((c * 24 + x) * 24 + y) * 24 + z], a[((z * 24 + y) * 24 + x) * 3 + c]);
    }
}

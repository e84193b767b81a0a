using EmAlign.Formats;
using EmAlign.Formats.WebKnossos;
using EmAlign.Geometry;
using EmAlign.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.Tests.Formats.WebKnossos;

/// <summary>Every dataset in ../shared/fixtures/webknossos reads; the simple_* copies agree where their types do.</summary>
public class WebKnossosFixtureTests
{
    private static string Dataset(string name) => SharedData.Fixture($"webknossos/{name}");

    /// <summary>The zarr v2 copy read as WEBKNOSSOS stores it ((c, x, y, z) with metadata-free arrays).</summary>
    private static byte[] Reference()
    {
        using var v = VolumeFormats.Open(Dataset("simple_zarr_dataset"));
        Assert.Equal("webknossos", v.Format);
        return v.Read<byte>(0, v.Bounds);
    }

    [FixtureTheory]
    [InlineData("simple_wkw_dataset")]
    [InlineData("e2006_knossos")]
    [InlineData("simple_zarr3_dataset")]
    [InlineData("simple_zarr_dataset")]
    public void SimpleCopiesOfOneUInt8RgbLayerAgree(string name)
    {
        using var v = VolumeFormats.Open(Dataset(name));
        Assert.Equal("webknossos", v.Format);
        Assert.Equal("color", v.Dataset);
        Assert.Equal(DataType.UInt8, v.DataType);
        Assert.Equal(3, v.Channels);
        Assert.Equal(Box3.FromSize(24, 24, 24), v.Bounds);
        Assert.Equal(new VoxelSize(name == "e2006_knossos" ? 1.1 : 1, name == "e2006_knossos" ? 1.1 : 1, name == "e2006_knossos" ? 1.1 : 1, "nanometer"), v.VoxelSize);
        var data = v.Read<byte>(0, v.Bounds);
        if (name.Contains("zarr")) Assert.Equal(Reference(), data);
        else
        {
            // The WKW copies' one file holds zero blocks only (raw, full length): they read as zeros.
            var file = Path.Combine(Dataset(name), "color/1/z0/y0/x0.wkw");
            Assert.Equal(16 + 32 * 32 * 32 * 3, new FileInfo(file).Length);
            Assert.All(File.ReadAllBytes(file).Skip(16), b => Assert.Equal(0, b));
            Assert.All(data, b => Assert.Equal(0, b));
        }
    }

    [FixtureFact]
    public void TheN5CopyHoldsTheSameValuesAsUInt32()
    {
        using var v = VolumeFormats.Open(Dataset("simple_n5_dataset"));
        Assert.Equal(DataType.UInt32, v.DataType);
        Assert.Equal(3, v.Channels);
        var got = v.Read<uint>(0, v.Bounds);
        Assert.Equal(Reference().Select(b => (uint)b), got);
    }

    [FixtureFact]
    public void ZarrLayerValuesFollowTheirAxes()
    {
        // The zarr v2 layer stores (c, x, y, z): stored element [c, x, y, z] is volume voxel (x, y, z) of channel c.
        using var v2 = VolumeFormats.Open(Dataset("simple_zarr_dataset/color/1-1-1"));
        var stored = v2.Read<byte>(0, v2.Bounds);   // no metadata: read in stored order
        var volume = Reference();
        for (int c = 0; c < 3; c++)
            for (int z = 0; z < 24; z += 5)
                for (int y = 0; y < 24; y += 3)
                    for (int x = 0; x < 24; x++)
                        Assert.Equal(stored[((c * 24 + x) * 24 + y) * 24 + z], volume[((c * 24 + z) * 24 + y) * 24 + x]);
    }

    [FixtureFact]
    public void LegacyAndHeaderOnlyDatasetsOpenWithTheirMags()
    {
        using (var v = VolumeFormats.Open(Dataset("old_wkw_dataset")))
        {
            Assert.Equal([Mag.One, new Mag(2, 2, 2)], v.Levels.Select(l => l.Mag));
            Assert.Equal(Box3.FromSize(1024, 1024, 1024), v.Bounds);
            Assert.Equal(new VoxelSize(11.239999771118164, 11.239999771118164, 28, "nanometer"), v.VoxelSize);
            Assert.All(v.Read<byte>(1, new Box3(100, 100, 100, 20, 20, 2)), b => Assert.Equal(0, b));
        }
        var props = WebKnossosDataset.Read(Dataset("complex_property_ds"));
        Assert.Equal(["color", "segmentation"], props.Layers.Select(l => l.Name));
        Assert.Equal("1 2 4 8 16 32", string.Join(' ', props.Layers[0].Mags.Select(m => WkMag.ShortName(m.Mag))));
        using (var seg = VolumeFormats.Open(Dataset("complex_property_ds"), new VolumeOpenOptions { Layer = "segmentation" }))
        {
            Assert.Equal(DataType.UInt32, seg.DataType);
            Assert.Equal(6, seg.Levels.Count);
            Assert.Equal(32, seg.Levels[5].Size.X);
            Assert.All(seg.Read<uint>(0, new Box3(0, 0, 0, 40, 40, 3)), v => Assert.Equal(0u, v));
            // Only mag 1 exists on disk: the other listed mags fail on access, naming their folder.
            var e = Assert.Throws<EmAlign.Diagnostics.InvalidVolumeException>(() => seg.Read<uint>(1, new Box3(0, 0, 0, 4, 4, 1)));
            Assert.Contains(Path.Combine(Dataset("complex_property_ds"), "segmentation", "2"), e.Message);
            Assert.Contains("incomplete", e.Message);
        }
        using var layerFolder = VolumeFormats.Open(Dataset("complex_property_ds/segmentation"));
        Assert.Equal("segmentation", layerFolder.Dataset);
        Assert.Equal(DataType.UInt32, layerFolder.DataType);
    }
}

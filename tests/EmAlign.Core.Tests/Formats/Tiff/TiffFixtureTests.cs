using System.Text.Json;
using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.Tests.Formats.Tiff;

/// <summary>Every TIFF and folder-of-slices fixture written by tifffile and libtiff reads to the manifest's bytes.</summary>
public class TiffFixtureTests
{
    private static readonly Lazy<JsonElement[]> s_entries = new(() =>
    {
        var manifest = SharedData.Fixture("manifest.json");
        if (!File.Exists(manifest)) return [];
        using var doc = JsonDocument.Parse(File.ReadAllText(manifest));
        return [.. doc.RootElement.EnumerateArray()
            .Where(e => e.GetProperty("kind").GetString() is "tiff" or "tiff-folder")
            .Select(e => e.Clone())];
    });

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var e in s_entries.Value) data.Add(e.GetProperty("name").GetString()!);
        // Keeps the theory discoverable where the fixtures are absent (it is skipped then).
        if (data.Count == 0) data.Add("(no fixtures)");
        return data;
    }

    [FixtureFact]
    public void ManifestListsTiffFixtures()
    {
        Assert.Contains(s_entries.Value, e => e.GetProperty("kind").GetString() == "tiff");
        Assert.Contains(s_entries.Value, e => e.GetProperty("kind").GetString() == "tiff-folder");
    }

    [FixtureTheory]
    [MemberData(nameof(Names))]
    public void FixtureReadsToManifestBytes(string name)
    {
        var entry = s_entries.Value.Single(e => e.GetProperty("name").GetString() == name);
        using var v = VolumeFormats.Open(SharedData.Fixture(name));

        Assert.Equal(entry.GetProperty("kind").GetString(), v.Format);
        long[] shape = [.. entry.GetProperty("shape").EnumerateArray().Select(s => s.GetInt64())];
        Assert.Equal(shape, v.Levels[0].Array.Shape);
        Assert.True(DataTypes.TryParseTypeString(entry.GetProperty("dtype").GetString(), out var type, out bool bigEndian));
        Assert.Equal(type, v.DataType);

        var bytes = new byte[v.BlockBytes(v.Bounds)];
        v.Read(0, v.Bounds, bytes);
        // The manifest hashes big-endian bytes for '>' dtypes; we hold native little-endian ones.
        if (bigEndian) EmAlign.Formats.Zarr.Endian.Swap(bytes, type.Size());
        Assert.Equal(entry.GetProperty("sha256").GetString(), TiffTestData.Sha256(bytes));

        if (entry.TryGetProperty("voxel_size_um", out var vs))
        {
            double[] zyx = [.. vs.EnumerateArray().Select(d => d.GetDouble())];
            Assert.Equal("micrometer", v.VoxelSize.Unit);
            Assert.Equal(zyx[2], v.VoxelSize.X, 9);
            Assert.Equal(zyx[1], v.VoxelSize.Y, 9);
            Assert.Equal(zyx[0], v.VoxelSize.Z, 9);
        }
    }

    [FixtureFact]
    public void FolderSlicesAreInNaturalOrder()
    {
        // Values follow v = (7x + 13y + 29z) mod 251, so each slice's first voxel tells its z.
        using var v = VolumeFormats.Open(SharedData.Fixture("tiff/slices-u1"));
        var firsts = v.Read<byte>(0, new Box3(0, 0, 0, 1, 1, v.Bounds.SizeZ));
        Assert.Equal(Enumerable.Range(0, (int)v.Bounds.SizeZ).Select(z => (byte)(29 * z % 251)), firsts);
    }

    [FixtureFact]
    public void UncalibratedFixturesHaveUnknownVoxelSize()
    {
        using var v = VolumeFormats.Open(SharedData.Fixture("tiff/uint16-stack-lzw.tif"));
        Assert.Equal(VoxelSize.Unknown, v.VoxelSize);
    }
}

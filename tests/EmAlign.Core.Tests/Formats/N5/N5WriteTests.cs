using System.Buffers.Binary;
using System.Text.Json.Nodes;
using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Tests.Formats.Zarr;
using EmAlign.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.Tests.Formats.N5;

/// <summary>Creating and writing N5 datasets and scale pyramids, reading them back, and the N5 attribute conventions.</summary>
public class N5WriteTests
{
    /// <summary>
    /// Codecs N5 can hold: all but numcodecs-framed "lz4" (N5's lz4 is lz4-java's LZ4Block stream). "zstd" is the
    /// n5-zstandard type, which zarr-python's N5 store reads and writes too (checked by the interop tests).
    /// </summary>
    public static IEnumerable<string> N5Codecs => ChunkCodecs.Names.Where(c => c != "lz4");

    public static TheoryData<DataType, string> TypesAndCodecs()
    {
        var data = new TheoryData<DataType, string>();
        foreach (var t in PatternData.AllTypes)
            foreach (var c in N5Codecs) data.Add(t, c);
        return data;
    }

    [Theory]
    [MemberData(nameof(TypesAndCodecs))]
    public void EveryTypeAndCodecRoundTrips(DataType type, string codec)
    {
        using var tmp = new TempFolder();
        long[] shape = [5, 37, 70];
        var data = PatternData.Make(type, shape);
        using (var v = VolumeFormats.Create("n5", tmp["a.n5"], ZarrWriteTests.Options(type, shape, [2, 16, 32], codec)))
            v.Write(0, Box3.FromSize(70, 37, 5), data);
        using var back = VolumeFormats.Open(tmp["a.n5"]);
        Assert.Equal("n5", back.Format);
        Assert.Equal(type, back.DataType);
        Assert.Equal(data, ZarrFixtureTests.ReadAll(back));
        Assert.Equal(new VoxelSize(4, 4, 40), back.VoxelSize);
        Assert.Equal((8.0, 12.0, 80.0), back.Offset);
        var attrs = JsonNode.Parse(File.ReadAllText(tmp["a.n5/attributes.json"]))!;
        Assert.Equal("[70,37,5]", attrs["dimensions"]!.ToJsonString());
        Assert.Equal("[32,16,2]", attrs["blockSize"]!.ToJsonString());
        Assert.Equal("2.0.0", (string)attrs["n5"]!);
    }

    [Fact]
    public void RawBlocksAreBigEndianAndTruncatedAtTheEdge()
    {
        using var tmp = new TempFolder();
        long[] shape = [3, 5, 7];
        var values = Enumerable.Range(0, 105).Select(i => (ushort)(i * 601)).ToArray();
        using (var v = VolumeFormats.Create("n5", tmp["e.n5"], ZarrWriteTests.Options(DataType.UInt16, shape, [2, 4, 4])))
            v.Write<ushort>(0, Box3.FromSize(7, 5, 3), values);

        // Block x 1, y 1, z 1 covers x 4-6, y 4, z 2: header dims 3, 1, 1 (x first), then 3 big-endian elements.
        var block = File.ReadAllBytes(tmp["e.n5/1/1/1"]);
        Assert.Equal(new byte[] { 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 1 }, block[..16]);
        Assert.Equal(16 + 3 * 2, block.Length);
        for (int i = 0; i < 3; i++)
            Assert.Equal(values[(2 * 5 + 4) * 7 + 4 + i], BinaryPrimitives.ReadUInt16BigEndian(block.AsSpan(16 + 2 * i)));
        // A full block: 4 x 4 x 2 elements.
        Assert.Equal(16 + 32 * 2, new FileInfo(tmp["e.n5/0/0/0"]).Length);

        using var back = VolumeFormats.Open(tmp["e.n5"]);
        Assert.Equal(values, back.Read<ushort>(0, Box3.FromSize(7, 5, 3)));
    }

    [Fact]
    public void PyramidsGetScaleDatasetsWithDownsamplingFactors()
    {
        using var tmp = new TempFolder();
        var opts = ZarrWriteTests.Options(DataType.UInt8, [8, 40, 50], [4, 16, 16], "gzip") with { ExtraMags = [new Mag(2, 2, 1), new Mag(4, 4, 2)] };
        var s2 = PatternData.Make(DataType.UInt8, [4, 10, 13]);
        using (var v = VolumeFormats.Create("n5", tmp["c.n5/em"], opts))
        {
            Assert.Equal(tmp["c.n5"], v.Path);
            Assert.Equal("em", v.Dataset);
            v.Write(2, v.Levels[2].Bounds, s2);
        }
        Assert.Equal("2.0.0", (string)JsonNode.Parse(File.ReadAllText(tmp["c.n5/attributes.json"]))!["n5"]!);
        Assert.Equal("[2,2,1]", JsonNode.Parse(File.ReadAllText(tmp["c.n5/em/s1/attributes.json"]))!["downsamplingFactors"]!.ToJsonString());

        using var back = VolumeFormats.Open(tmp["c.n5/em"]);
        Assert.Equal([Mag.One, new Mag(2, 2, 1), new Mag(4, 4, 2)], back.Levels.Select(l => l.Mag));
        Assert.Equal(new VoxelSize(4, 4, 40), back.VoxelSize);
        Assert.Equal((8.0, 12.0, 80.0), back.Offset);
        Assert.Equal(s2, ZarrFixtureTests.ReadAll(back, 2));
        using var s1 = VolumeFormats.Open(tmp["c.n5/em/s1"]);
        Assert.Equal(new VoxelSize(8, 8, 40), s1.VoxelSize);
        Assert.Equal("em/s1", s1.Dataset);
    }

    private static void Dataset(string dir, long[] dims, JsonObject? extra = null)
    {
        Directory.CreateDirectory(dir);
        var a = new JsonObject { ["dimensions"] = new JsonArray([.. dims.Select(d => (JsonNode)d)]), ["blockSize"] = new JsonArray(8, 8, 8), ["dataType"] = "uint8", ["compression"] = new JsonObject { ["type"] = "raw" } };
        foreach (var (k, v) in extra ?? []) a[k] = v?.DeepClone();
        File.WriteAllText(Path.Combine(dir, "attributes.json"), a.ToJsonString());
    }

    [Fact]
    public void N5ViewerScaleGroupsGiveMagsAndMicrometreVoxels()
    {
        using var tmp = new TempFolder();
        Directory.CreateDirectory(tmp["v.n5"]);
        File.WriteAllText(tmp["v.n5/attributes.json"], """{"n5":"4.0.0","pixelResolution":{"unit":"um","dimensions":[0.004,0.004,0.05]},"scales":[[1,1,1],[2,2,1]]}""");
        Dataset(tmp["v.n5/s0"], [40, 30, 10]);
        Dataset(tmp["v.n5/s1"], [20, 15, 10]);
        using var v = VolumeFormats.Open(tmp["v.n5"]);
        Assert.Equal([Mag.One, new Mag(2, 2, 1)], v.Levels.Select(l => l.Mag));
        Assert.Equal(new VoxelSize(0.004, 0.004, 0.05, "micrometer"), v.VoxelSize);
    }

    [Theory]
    [InlineData("""{"resolution": [4, 4, 40], "offset": [8, 12, 80]}""")]                                   // daisy/Paintera: x first
    [InlineData("""{"voxel_size": [40, 4, 4], "offset": [80, 12, 8], "units": ["nm", "nm", "nm"]}""")]     // funlib >= 0.4: stored (C) order
    public void FunlibAndLegacyResolutionAttributesAreRead(string attributes)
    {
        using var tmp = new TempFolder();
        Dataset(tmp["f.n5"], [40, 30, 10], JsonNode.Parse(attributes)!.AsObject());
        using var v = VolumeFormats.Open(tmp["f.n5"]);
        Assert.Equal(new VoxelSize(4, 4, 40), v.VoxelSize);
        Assert.Equal((8.0, 12.0, 80.0), v.Offset);
    }

    [Fact]
    public void CosemTransformsAndBdvFactorListsAreRead()
    {
        using var tmp = new TempFolder();
        JsonObject T(double s) => new() { ["transform"] = JsonNode.Parse($$"""{"axes":["z","y","x"],"scale":[{{8 * s}},{{4 * s}},{{4 * s}}],"translate":[16,2,2],"units":["nm","nm","nm"],"ordering":"C"}""") };
        Directory.CreateDirectory(tmp["cosem.n5"]);
        File.WriteAllText(tmp["cosem.n5/attributes.json"], """{"multiscales":[{"datasets":[{"path":"s0"},{"path":"s1"}]}]}""");
        Dataset(tmp["cosem.n5/s0"], [40, 30, 10], T(1));
        Dataset(tmp["cosem.n5/s1"], [20, 15, 5], T(2));
        using (var v = VolumeFormats.Open(tmp["cosem.n5"]))
        {
            Assert.Equal([Mag.One, new Mag(2, 2, 2)], v.Levels.Select(l => l.Mag));
            Assert.Equal(new VoxelSize(4, 4, 8), v.VoxelSize);
            Assert.Equal((2.0, 2.0, 16.0), v.Offset);
        }
        Directory.CreateDirectory(tmp["bdv.n5/setup0/timepoint0"]);
        File.WriteAllText(tmp["bdv.n5/setup0/timepoint0/attributes.json"], """{"downsamplingFactors":[[1,1,1],[2,2,2]],"dataType":"uint8"}""");
        Dataset(tmp["bdv.n5/setup0/timepoint0/s0"], [40, 30, 10]);
        Dataset(tmp["bdv.n5/setup0/timepoint0/s1"], [20, 15, 5]);
        using (var v = VolumeFormats.Open(tmp["bdv.n5/setup0/timepoint0"]))
            Assert.Equal([Mag.One, new Mag(2, 2, 2)], v.Levels.Select(l => l.Mag));
    }

    [Fact]
    public void ExistingDatasetsNeedForceAndFillValuesAreRefused()
    {
        using var tmp = new TempFolder();
        var opts = ZarrWriteTests.Options(DataType.UInt8, [2, 8, 8], [1, 8, 8]);
        using (VolumeFormats.Create("n5", tmp["e.n5"], opts)) { }
        Assert.Throws<OutputExistsException>(() => VolumeFormats.Create("n5", tmp["e.n5"], opts));
        using (var v = VolumeFormats.Create("n5", tmp["e.n5"], opts with { Force = true, DataType = DataType.Float32 }))
            Assert.Equal(DataType.Float32, v.DataType);
        var e = Assert.Throws<EmAlignException>(() => VolumeFormats.Create("n5", tmp["f.n5"], opts with { FillValue = 3 }));
        Assert.Contains("fill value", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Throws<EmAlignException>(() => VolumeFormats.Create("n5", tmp["g.n5"], opts with { Codec = "lz4" }));
        Assert.False(Directory.Exists(tmp["g.n5"]));
    }
}

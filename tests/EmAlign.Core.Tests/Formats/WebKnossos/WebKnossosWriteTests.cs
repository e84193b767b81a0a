using System.Text.Json.Nodes;
using EmAlign.Diagnostics;
using EmAlign.Formats;
using EmAlign.Formats.WebKnossos;
using EmAlign.Geometry;
using EmAlign.Tests.Formats.Zarr;
using EmAlign.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.Tests.Formats.WebKnossos;

/// <summary>WKW files, new layers and datasets, adding mags, and bad datasets.</summary>
public class WebKnossosWriteTests
{
    [Fact]
    public void WkwHeaderAndMortonOrderMatchTheSpec()
    {
        var h = new WkwHeader(3, 2, WkwBlockType.Raw, DataType.UInt8, 3, 16);
        var b = new byte[16];
        h.Write(b);
        Assert.Equal("574B5701230101031000000000000000", Convert.ToHexString(b));
        Assert.Equal(h, WkwHeader.Parse(b, "x"));
        Assert.Equal(13029, WkwHeader.Morton(29, 20, 3));
        Assert.Equal(12525, WkwHeader.Morton(23, 20, 3));
        Assert.Equal(8, WkwHeader.Morton(2, 0, 0));
        Assert.Equal(32, WkwHeader.Morton(0, 0, 2));
        Assert.Equal(16UL + 32 * 32 * 32 * 3, h.DataFileOffset + (ulong)h.BlockCount * (ulong)h.BlockBytes);
    }

    public static TheoryData<string, DataType, int> WkwCases()
    {
        var data = new TheoryData<string, DataType, int>();
        foreach (var codec in new[] { "none", "lz4", "lz4hc" })
        {
            data.Add(codec, DataType.UInt8, 1);
            data.Add(codec, DataType.UInt16, 3);
            data.Add(codec, DataType.Float32, 1);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(WkwCases))]
    public void WkwFoldersRoundTrip(string codec, DataType type, int channels)
    {
        using var tmp = new TempFolder();
        long[] shape = channels > 1 ? [channels, 9, 20, 40] : [9, 20, 40];
        var data = PatternData.Make(type, shape);
        var box = Box3.FromSize(40, 20, 9);
        // 8-voxel blocks, 16-voxel files: 3 x 2 x 1 files, partly outside the array.
        using (var v = VolumeFormats.Create("wkw", tmp["w"], new VolumeCreateOptions
        {
            DataType = type, Shape = shape, ChunkShape = channels > 1 ? [channels, 8, 8, 8] : [8, 8, 8], ShardShape = [16, 16, 16], Codec = codec,
        }))
            v.Write(0, box, data);
        Assert.Equal(3 * 2 * 1, Directory.GetFiles(tmp["w"], "x*.wkw", SearchOption.AllDirectories).Length);
        Assert.Empty(Directory.GetFiles(tmp["w"], ".*", SearchOption.AllDirectories));   // no spill or partial files left
        var file = File.ReadAllBytes(tmp["w/z0/y0/x0.wkw"]);
        var header = WkwHeader.Parse(file, "x0.wkw");
        Assert.Equal(codec == "none" ? WkwBlockType.Raw : codec == "lz4" ? WkwBlockType.Lz4 : WkwBlockType.Lz4HC, header.BlockType);
        Assert.Equal(header.DataFileOffset, header.DataOffset);
        if (codec == "none") Assert.Equal(16 + 16 * 16 * 16 * type.Size() * channels, file.Length);

        using var back = VolumeFormats.Open(tmp["w"]);
        Assert.Equal("wkw", back.Format);
        Assert.Equal(Box3.FromSize(48, 32, 16), back.Bounds);   // whole files: WKW records no extent
        var read = new byte[back.BlockBytes(box)];
        back.Read(0, box, read);
        Assert.Equal(data, read);
    }

    [Fact]
    public void WkwBlockBytesAreXFastestWithChannelsInterleaved()
    {
        using var tmp = new TempFolder();
        long[] shape = [2, 8, 8, 8];
        var data = new byte[2 * 512];
        for (int c = 0; c < 2; c++)
            for (int i = 0; i < 512; i++) data[c * 512 + i] = (byte)(i % 250 + c);
        using (var v = VolumeFormats.Create("wkw", tmp["w"], new VolumeCreateOptions { DataType = DataType.UInt8, Shape = shape, ChunkShape = [2, 8, 8, 8], ShardShape = [8, 8, 8] }))
            v.Write(0, Box3.FromSize(8, 8, 8), data);
        var file = File.ReadAllBytes(tmp["w/z0/y0/x0.wkw"]);
        for (int i = 0; i < 512; i++)
            for (int c = 0; c < 2; c++) Assert.Equal(data[c * 512 + i], file[16 + 2 * i + c]);
    }

    [Fact]
    public void CompressedFilesKeepTheirOtherBlocksWhenPartlyRewritten()
    {
        using var tmp = new TempFolder();
        long[] shape = [16, 16, 16];
        var data = PatternData.Make(DataType.UInt16, shape);
        var options = new VolumeCreateOptions { DataType = DataType.UInt16, Shape = shape, ChunkShape = [8, 8, 8], ShardShape = [16, 16, 16], Codec = "lz4hc" };
        using (var v = VolumeFormats.Create("wkw", tmp["w"], options))
            v.Write(0, Box3.FromSize(16, 16, 16), data);
        using (var v = VolumeFormats.Open(tmp["w"], new VolumeOpenOptions { Writable = true, Cache = new ChunkCache(0) }))
        {
            v.Write(0, new Box3(8, 0, 8, 8, 8, 8), new byte[8 * 8 * 8 * 2]);   // one block of eight
            v.Flush();
        }
        using var back = VolumeFormats.Open(tmp["w"]);
        var read = back.Read<ushort>(0, Box3.FromSize(16, 16, 16));
        var expected = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(data);
        for (int z = 0; z < 16; z++)
            for (int y = 0; y < 16; y++)
                for (int x = 0; x < 16; x++)
                    Assert.Equal(z >= 8 && y < 8 && x >= 8 ? 0 : expected[(z * 16 + y) * 16 + x], read[(z * 16 + y) * 16 + x]);
    }

    [Theory]
    [InlineData("zarr3")]
    [InlineData("wkw")]
    public void MultiChannelLayersInterleaveChannelsAsWebKnossosDoes(string format)
    {
        using var tmp = new TempFolder();
        long[] shape = [3, 4, 40, 50];
        var data = PatternData.Make(DataType.UInt8, shape);
        using var src = Memory(DataType.UInt8, shape, data, new VoxelSize(1, 1, 1));
        WebKnossosLayers.Add(src, 0, null, tmp["ds"], new AddLayerOptions { Name = "rgb", DataFormat = format, Codec = "none", Mags = [new Mag(2, 2, 1)] });
        var layer = WebKnossosDataset.Read(tmp["ds"]).Layer("rgb");
        Assert.Equal(("uint24", 3), (layer.ElementClass, layer.Channels));
        using var back = VolumeFormats.Open(tmp["ds"]);
        Assert.Equal(3, back.Channels);
        Assert.Equal(data, ZarrFixtureTests.ReadAll(back));
        // Voxel (x 1, y 0, z 0): its three channels sit side by side right after voxel (0, 0, 0)'s.
        var raw = format == "wkw" ? Head(tmp["ds/rgb/1/z0/y0/x0.wkw"], 64).AsSpan(16) : InnerChunk0(tmp["ds/rgb/1/c/0/0/0/0"]);
        for (int c = 0; c < 3; c++) Assert.Equal(data[c * 4 * 40 * 50 + 1], raw[3 + c]);
    }

    /// <summary>The first bytes of a (large, sparse) raw WKW file.</summary>
    private static byte[] Head(string file, int n)
    {
        using var f = File.OpenRead(file);
        var b = new byte[n];
        f.ReadExactly(b);
        return b;
    }

    /// <summary>The bytes of the first inner chunk of an uncompressed shard (offset from the index at the end).</summary>
    private static byte[] InnerChunk0(string shard)
    {
        var b = File.ReadAllBytes(shard);
        int n = 32 * 32 * 1;   // inner chunks per [c, 1024, 1024, 32] shard: 32 x 32 x 1
        var index = b.AsSpan(b.Length - 16 * n - 4);
        long off = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(index);
        long len = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(index[8..]);
        return b.AsSpan((int)off, (int)len).ToArray();
    }

    [Fact]
    public void TruncatedAndMismatchedWkwFilesGetErrorsNamingThem()
    {
        using var tmp = new TempFolder();
        using (var v = VolumeFormats.Create("wkw", tmp["w"], new VolumeCreateOptions { DataType = DataType.UInt8, Shape = [16, 16, 16], ChunkShape = [8, 8, 8], ShardShape = [16, 16, 16], Codec = "lz4" }))
            v.Write(0, Box3.FromSize(16, 16, 16), PatternData.Make(DataType.UInt8, [16, 16, 16]));
        var path = tmp["w/z0/y0/x0.wkw"];
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 10)]);
        using (var v = VolumeFormats.Open(tmp["w"]))
        {
            var e = Assert.Throws<CorruptDataException>(() => v.Read<byte>(0, Box3.FromSize(16, 16, 16)));
            Assert.Contains(path, e.Message);
            Assert.Contains("truncated", e.Message);
        }
        bytes[6] = 7; // int8 voxels in a uint8 folder
        File.WriteAllBytes(path, bytes);
        using (var v = VolumeFormats.Open(tmp["w"]))
            Assert.Contains("disagrees", Assert.Throws<InvalidVolumeException>(() => v.Read<byte>(0, Box3.FromSize(4, 4, 4))).Message);
    }

    private static EmVolume Memory(DataType type, long[] shape, byte[] data, VoxelSize vs)
    {
        var v = new EmVolume("memory", "memory", "", [new VolumeLevel(Mag.One, new MemoryChunkedArray(type, shape, [.. shape.Select(s => (int)Math.Min(s, 16))]))], vs);
        v.Write(0, Box3.FromSize(shape[^1], shape[^2], shape[^3]), data);
        return v;
    }

    [Theory]
    [InlineData("zarr3")]
    [InlineData("wkw")]
    public void AddedLayersAreListedWithTheirMagsAndKeepOtherKeys(string format)
    {
        using var tmp = new TempFolder();
        var ds = SharedData.HasFixtures ? tmp.CopyIn(SharedData.Fixture("webknossos/simple_zarr3_dataset"), "ds") : tmp["ds"];
        long[] shape = [6, 70, 90];
        var data = PatternData.Make(DataType.UInt8, shape);
        using var src = Memory(DataType.UInt8, shape, data, new VoxelSize(1, 1, 1));
        var result = WebKnossosLayers.Add(src, 0, null, ds, new AddLayerOptions { Name = "aligned", DataFormat = format, Mags = [new Mag(2, 2, 1), new Mag(4, 4, 2)] });
        Assert.Equal(["1", "2-2-1", "4-4-2"], result.Mags.Select(WkMag.ShortName));
        Assert.Empty(Directory.GetDirectories(ds, ".aligned*"));

        var props = WebKnossosDataset.Read(ds);
        var layer = props.Layer("aligned");
        Assert.Equal(format, layer.DataFormat);
        Assert.Equal(Box3.FromSize(90, 70, 6), layer.BoundingBox);
        Assert.Equal("uint8", layer.ElementClass);
        var doc = JsonNode.Parse(File.ReadAllText(Path.Combine(ds, DatasourceProperties.FileName)))!;
        var layers = doc["dataLayers"]!.AsArray();
        Assert.Equal("./aligned/2-2-1", (string)layers[layers.Count - 1]!["mags"]![1]!["path"]!);
        if (SharedData.HasFixtures)
        {
            Assert.Equal("[12,12,12]", doc["defaultViewConfiguration"]!["position"]!.ToJsonString());
            Assert.Equal(2, props.Layers.Count);
        }

        using var back = VolumeFormats.Open(ds, new VolumeOpenOptions { Layer = "aligned" });
        Assert.Equal(3, back.Levels.Count);
        Assert.Equal(data, ZarrFixtureTests.ReadAll(back));
        var expected = new byte[back.BlockBytes(back.Levels[1].Bounds)];
        Downsampler.Reduce(data, DataType.UInt8, 1, (90, 70, 6), new Mag(2, 2, 1), DownsampleFilter.Mean, expected);
        Assert.Equal(expected, ZarrFixtureTests.ReadAll(back, 1));
        if (format == "zarr3")
        {
            var group = JsonNode.Parse(File.ReadAllText(Path.Combine(ds, "aligned", "zarr.json")))!;
            Assert.Equal("0.5", (string)group["attributes"]!["ome"]!["version"]!);
            var mag1 = JsonNode.Parse(File.ReadAllText(Path.Combine(ds, "aligned", "1", "zarr.json")))!;
            Assert.Equal("[\"c\",\"x\",\"y\",\"z\"]", mag1["dimension_names"]!.ToJsonString());
            Assert.Equal("[1,90,70,6]", mag1["shape"]!.ToJsonString());
            var inner = mag1["codecs"]![0]!["configuration"]!["codecs"]!.AsArray();
            Assert.Equal(["transpose", "bytes", "zstd"], inner.Select(c => (string)c!["name"]!));
            Assert.True((bool)inner[2]!["configuration"]!["checksum"]!);
        }

        // The same name again needs Force; with it the layer is replaced.
        Assert.Throws<OutputExistsException>(() => WebKnossosLayers.Add(src, 0, null, ds, new AddLayerOptions { Name = "aligned", Mags = [] }));
        WebKnossosLayers.Add(src, 0, new Box3(0, 0, 0, 32, 32, 2), ds, new AddLayerOptions { Name = "aligned", Mags = [], Force = true });
        Assert.Equal(Box3.FromSize(32, 32, 2), WebKnossosDataset.Read(ds).Layer("aligned").BoundingBox);
    }

    [Fact]
    public void AnInterruptedLayerIsNeverListed()
    {
        using var tmp = new TempFolder();
        using var src = Memory(DataType.UInt16, [4, 64, 64], PatternData.Make(DataType.UInt16, [4, 64, 64]), new VoxelSize(4, 4, 40));
        WebKnossosLayers.Add(src, 0, null, tmp["ds"], new AddLayerOptions { Name = "raw", Mags = [] });
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => WebKnossosLayers.Add(src, 0, null, tmp["ds"], new AddLayerOptions { Name = "half" }, null, cts.Token));
        Assert.Equal(["raw"], WebKnossosDataset.Read(tmp["ds"]).Layers.Select(l => l.Name));
        Assert.Equal(["raw"], Directory.GetDirectories(tmp["ds"]).Select(Path.GetFileName));
    }

    [Fact]
    public void NewDatasetsDerivedMagsAndSegmentationModes()
    {
        using var tmp = new TempFolder();
        // A result computed at mag 4-4-1 of a 4 x 4 x 40 nm dataset has 16 x 16 x 40 nm voxels.
        using var ds = Memory(DataType.UInt8, [2, 16, 16], new byte[512], new VoxelSize(4, 4, 40));
        WebKnossosLayers.Add(ds, 0, null, tmp["ds"], new AddLayerOptions { Name = "raw", Mags = [] });
        var labels = new byte[2 * 32 * 32 * 4];
        for (int i = 0; i < labels.Length; i += 4) labels[i] = (byte)(i / 4 % 7 == 0 ? 5 : 9);
        using var seg = Memory(DataType.UInt32, [2, 32, 32], labels, new VoxelSize(16, 16, 40));
        var r = WebKnossosLayers.Add(seg, 0, null, tmp["ds"], new AddLayerOptions { Name = "labels", Category = "segmentation", Mags = [new Mag(8, 8, 1)] });
        Assert.Equal([new Mag(4, 4, 1), new Mag(8, 8, 1)], r.Mags);
        Assert.Equal(Box3.FromSize(128, 128, 2), r.BoundingBox);
        using var back = VolumeFormats.Open(tmp["ds"], new VolumeOpenOptions { Layer = "labels" });
        Assert.Equal(new Mag(4, 4, 1), back.Levels[0].Mag);
        Assert.All(back.Read<uint>(1, back.Levels[1].Bounds), v => Assert.Equal(9u, v)); // the mode, never a mean of labels
        var doc = JsonNode.Parse(File.ReadAllText(Path.Combine(tmp["ds"], DatasourceProperties.FileName)))!;
        Assert.Equal("{\"factor\":[4,4,40],\"unit\":\"nanometer\"}", doc["scale"]!.ToJsonString());
        Assert.Equal("segmentation", (string)doc["dataLayers"]![1]!["category"]!);
        Assert.True(File.Exists(Path.Combine(tmp["ds"], "zarr.json")));
    }

    [Fact]
    public void DownsampleAddsMagsToALayer()
    {
        using var tmp = new TempFolder();
        using var src = Memory(DataType.UInt8, [4, 64, 64], PatternData.Make(DataType.UInt8, [4, 64, 64]), new VoxelSize(4, 4, 40));
        WebKnossosLayers.Add(src, 0, null, tmp["ds"], new AddLayerOptions { Name = "raw", Mags = [] });
        var r = Pyramid.Downsample(tmp["ds"], new DownsampleOptions { Layer = "raw", Coarsest = 4 });
        Assert.Equal("2-2-1 4-4-1", string.Join(' ', r.Computed));
        var layer = WebKnossosDataset.Read(tmp["ds"]).Layer("raw");
        Assert.Equal(["1", "2-2-1", "4-4-1"], layer.Mags.Select(m => WkMag.ShortName(m.Mag)));
        var group = JsonNode.Parse(File.ReadAllText(tmp["ds/raw/zarr.json"]))!;
        Assert.Equal(3, group["attributes"]!["ome"]!["multiscales"]![0]!["datasets"]!.AsArray().Count);
        using var back = VolumeFormats.Open(tmp["ds"]);
        Assert.Equal(16, back.Levels[2].Size.X);
    }

    [Fact]
    public void PropertiesThatDisagreeWithTheFilesAreErrors()
    {
        using var tmp = new TempFolder();
        using var src = Memory(DataType.UInt8, [2, 32, 32], PatternData.Make(DataType.UInt8, [2, 32, 32]), new VoxelSize(1, 1, 1));
        WebKnossosLayers.Add(src, 0, null, tmp["ds"], new AddLayerOptions { Name = "w", DataFormat = "wkw", Mags = [] });
        var file = Path.Combine(tmp["ds"], DatasourceProperties.FileName);
        var original = File.ReadAllText(file);

        File.WriteAllText(file, original.Replace("\"uint8\"", "\"uint16\""));
        var e = Assert.Throws<InvalidVolumeException>(() => VolumeFormats.Open(tmp["ds"]));
        Assert.Contains(Path.Combine(tmp["ds"], "w", "1", "header.wkw"), e.Message);

        File.WriteAllText(file, original.Replace("\"wkw\"", "\"neuroglancerPrecomputed\""));
        Assert.Contains("neuroglancerPrecomputed", Assert.Throws<InvalidVolumeException>(() => VolumeFormats.Open(tmp["ds"])).Message);

        File.WriteAllText(file, original);
        Directory.Delete(Path.Combine(tmp["ds"], "w", "1"), recursive: true);
        using var v = VolumeFormats.Open(tmp["ds"]);
        Assert.Contains("does not exist", Assert.Throws<InvalidVolumeException>(() => v.Read<byte>(0, Box3.FromSize(4, 4, 1))).Message);
    }

    [Fact]
    public void ChunkAlignedTopLeftBecomesTheOffset()
    {
        using var tmp = new TempFolder();
        using var src = Memory(DataType.UInt8, [2, 32, 32], PatternData.Make(DataType.UInt8, [2, 32, 32]), new VoxelSize(2, 2, 30));
        WebKnossosLayers.Add(src, 0, null, tmp["ds"], new AddLayerOptions { Name = "c", Mags = [], TopLeft = (64, 32, 0) });
        var data = PatternData.Make(DataType.UInt8, [2, 32, 32]);
        using (var v = VolumeFormats.Open(tmp["ds"]))
        {
            Assert.Equal((128.0, 64.0, 0.0), v.Offset);
            Assert.Equal(Box3.FromSize(32, 32, 2), v.Bounds);
            Assert.Equal(data, ZarrFixtureTests.ReadAll(v));
        }

        // A layer copied from this one lands at the same place.
        using (var v = VolumeFormats.Open(tmp["ds"]))
            Assert.Equal(new Box3(64, 32, 0, 32, 32, 2), WebKnossosLayers.Add(v, 0, null, tmp["ds"], new AddLayerOptions { Name = "copy", Mags = [] }).BoundingBox);

        // A 2-2-1 mag makes the common grid 64 voxels in x and y: the volume then starts at (64, 0, 0).
        Pyramid.Downsample(tmp["ds"], new DownsampleOptions { Layer = "c", Mags = [new Mag(2, 2, 1)] });
        using var w = VolumeFormats.Open(tmp["ds"]);
        Assert.Equal((128.0, 0.0, 0.0), w.Offset);
        Assert.Equal(data, w.Read<byte>(0, new Box3(0, 32, 0, 32, 32, 2)));
        var expected = new byte[16 * 16 * 2];
        Downsampler.Reduce(data, DataType.UInt8, 1, (32, 32, 2), new Mag(2, 2, 1), DownsampleFilter.Mean, expected);
        Assert.Equal(expected, w.Read<byte>(1, new Box3(0, 16, 0, 16, 16, 2)));
        Assert.All(w.Read<byte>(1, new Box3(0, 0, 0, 16, 16, 2)), b => Assert.Equal(0, b));
    }
}

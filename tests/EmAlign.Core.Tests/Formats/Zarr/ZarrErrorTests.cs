using System.Text.Json.Nodes;
using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.Tests.Formats.Zarr;

/// <summary>Damaged or unsupported Zarr v2 input gets one clear error naming the file and what was wrong.</summary>
public class ZarrErrorTests
{
    private static string MakeArray(TempFolder tmp, string codec)
    {
        var path = tmp["a.zarr"];
        using var v = VolumeFormats.Create("zarr2", path, ZarrWriteTests.Options(DataType.UInt16, [4, 16, 16], [2, 16, 16], codec));
        v.Write(0, Box3.FromSize(16, 16, 4), PatternData.Make(DataType.UInt16, [4, 16, 16]));
        return path;
    }

    private static void EditZarray(string path, Action<JsonObject> edit)
    {
        var meta = JsonNode.Parse(File.ReadAllText(Path.Combine(path, ".zarray")))!.AsObject();
        edit(meta);
        File.WriteAllText(Path.Combine(path, ".zarray"), meta.ToJsonString());
    }

    private static void ReadAll(string path)
    {
        using var v = VolumeFormats.Open(path);
        ZarrFixtureTests.ReadAll(v);
    }

    [Fact]
    public void UnknownCompressorNamesTheFileAndTheCodec()
    {
        using var tmp = new TempFolder();
        var path = MakeArray(tmp, "zlib");
        EditZarray(path, m => m["compressor"] = new JsonObject { ["id"] = "snappy-x", ["level"] = 1 });
        var e = Assert.Throws<InvalidVolumeException>(() => VolumeFormats.Open(path));
        Assert.Contains("snappy-x", e.Message);
        Assert.Contains(Path.Combine(path, ".zarray"), e.Message);
    }

    [Theory]
    [InlineData("""{"id": "blosc", "cname": "snappy", "clevel": 5, "shuffle": 1, "blocksize": 0}""", "snappy")]
    [InlineData("""{"id": "blosc", "cname": "lz4", "clevel": 12, "shuffle": 1, "blocksize": 0}""", "12")]
    [InlineData("""{"id": "lzma", "format": 2, "check": -1, "preset": null, "filters": null}""", "format 2")]
    public void InvalidCompressorParametersNameTheFile(string compressor, string detail)
    {
        using var tmp = new TempFolder();
        var path = MakeArray(tmp, "none");
        EditZarray(path, m => m["compressor"] = JsonNode.Parse(compressor));
        var e = Assert.Throws<InvalidVolumeException>(() => VolumeFormats.Open(path));
        Assert.Contains(Path.Combine(path, ".zarray"), e.Message);
        Assert.Contains(detail, e.Message);
    }

    [Fact]
    public void CompressorConfigsAreWrittenAsNumcodecsConstructsThem()
    {
        using var tmp = new TempFolder();
        var path = MakeArray(tmp, "blosc-lz4hc");
        var c = JsonNode.Parse(File.ReadAllText(Path.Combine(path, ".zarray")))!["compressor"]!;
        Assert.Equal("""{"id":"blosc","cname":"lz4hc","clevel":5,"shuffle":1,"blocksize":0}""", c.ToJsonString());
        using var v = VolumeFormats.Create("zarr2", tmp["x.zarr"], ZarrWriteTests.Options(DataType.UInt8, [2, 8, 8], [2, 8, 8], "xz"));
        Assert.Equal("""{"id":"lzma","format":1,"check":-1,"preset":6,"filters":null}""",
            JsonNode.Parse(File.ReadAllText(tmp["x.zarr/.zarray"]))!["compressor"]!.ToJsonString());
    }

    [Fact]
    public void FiltersAreRejectedClearly()
    {
        using var tmp = new TempFolder();
        var path = MakeArray(tmp, "none");
        EditZarray(path, m => m["filters"] = new JsonArray(new JsonObject { ["id"] = "delta", ["dtype"] = "<u2" }));
        var e = Assert.Throws<InvalidVolumeException>(() => VolumeFormats.Open(path));
        Assert.Contains("filters", e.Message);
        Assert.Contains("delta", e.Message);
    }

    [Fact]
    public void UnsupportedDtypesAndBadShapesAreRejected()
    {
        using var tmp = new TempFolder();
        var path = MakeArray(tmp, "none");
        EditZarray(path, m => m["dtype"] = "<c8");
        Assert.Contains("<c8", Assert.Throws<InvalidVolumeException>(() => VolumeFormats.Open(path)).Message);
        EditZarray(path, m => { m["dtype"] = "<u2"; m["chunks"] = new JsonArray(2, 0, 16); });
        Assert.Contains("chunks", Assert.Throws<InvalidVolumeException>(() => VolumeFormats.Open(path)).Message);
        EditZarray(path, m => { m["chunks"] = new JsonArray(1, 1, 2, 16, 16); m["shape"] = new JsonArray(1, 1, 4, 16, 16); });
        Assert.Contains("5 dimensions", Assert.Throws<InvalidVolumeException>(() => VolumeFormats.Open(path)).Message);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("zlib")]
    public void TruncatedChunksAreCorruptDataNamingTheChunkFile(string codec)
    {
        using var tmp = new TempFolder();
        var path = MakeArray(tmp, codec);
        var chunk = Path.Combine(path, "1.0.0");
        var bytes = File.ReadAllBytes(chunk);
        File.WriteAllBytes(chunk, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<CorruptDataException>(() => ReadAll(path));
        Assert.Contains(chunk, e.Message);
        Assert.Equal(chunk, e.Target);
    }

    [Fact]
    public void CorruptCompressedChunksNameTheChunkFile()
    {
        using var tmp = new TempFolder();
        var path = MakeArray(tmp, "gzip");
        var chunk = Path.Combine(path, "0.0.0");
        var bytes = File.ReadAllBytes(chunk);
        for (int i = 10; i < bytes.Length - 8; i++) bytes[i] ^= 0x5A;
        File.WriteAllBytes(chunk, bytes);
        var e = Assert.Throws<CorruptDataException>(() => ReadAll(path));
        Assert.Contains(chunk, e.Message);
    }

    [Fact]
    public void ChunksDecodingToTheWrongSizeAreCorrupt()
    {
        using var tmp = new TempFolder();
        var path = MakeArray(tmp, "zlib");
        var chunk = Path.Combine(path, "0.0.0");
        // A valid zlib stream of half a chunk.
        File.WriteAllBytes(chunk, new ZlibCodec(1).Encode(new byte[2 * 16 * 16], 2));
        var e = Assert.Throws<CorruptDataException>(() => ReadAll(path));
        Assert.Contains(chunk, e.Message);
        Assert.Contains("decodes to 512 bytes; expected 1024", e.Message);
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("/etc")]
    [InlineData("s0/../../x")]
    [InlineData("")]
    public void MultiscalesPathsOutsideTheGroupAreRejected(string bad)
    {
        using var tmp = new TempFolder();
        var opts = ZarrWriteTests.Options(DataType.UInt8, [2, 8, 8], [2, 8, 8]) with { ExtraMags = [new Mag(2, 2, 1)] };
        using (VolumeFormats.Create("zarr2", tmp["p.zarr"], opts)) { }
        var attrsFile = tmp["p.zarr/.zattrs"];
        var attrs = JsonNode.Parse(File.ReadAllText(attrsFile))!;
        attrs["multiscales"]![0]!["datasets"]![1]!["path"] = bad;
        File.WriteAllText(attrsFile, attrs.ToJsonString());
        var e = Assert.Throws<InvalidVolumeException>(() => VolumeFormats.Open(tmp["p.zarr"]));
        Assert.Contains(attrsFile, e.Message);
        Assert.Contains($"'{bad}'", e.Message);
    }

    [Fact]
    public void GroupsThatAreNoPyramidListTheirArrays()
    {
        using var tmp = new TempFolder();
        using (VolumeFormats.Create("zarr2", tmp["g.zarr/raw"], ZarrWriteTests.Options(DataType.UInt8, [2, 8, 8], [2, 8, 8]))) { }
        using (VolumeFormats.Create("zarr2", tmp["g.zarr/labels"], ZarrWriteTests.Options(DataType.UInt8, [2, 8, 8], [2, 8, 8]))) { }
        var e = Assert.Throws<InvalidVolumeException>(() => VolumeFormats.Open(tmp["g.zarr"]));
        Assert.Contains("labels, raw", e.Message);
    }

    [Fact]
    public void CreatingInsideAnArrayIsRefused()
    {
        using var tmp = new TempFolder();
        var path = MakeArray(tmp, "none");
        var e = Assert.Throws<InvalidVolumeException>(() =>
            VolumeFormats.Create("zarr2", Path.Combine(path, "inner"), ZarrWriteTests.Options(DataType.UInt8, [2, 8, 8], [2, 8, 8])));
        Assert.Contains("inside the Zarr array", e.Message);
    }

    [Fact]
    public void UnknownCodecNamesOnCreateAreRefusedBeforeTouchingTheDisk()
    {
        using var tmp = new TempFolder();
        Assert.Throws<EmAlignException>(() => VolumeFormats.Create("zarr2", tmp["x.zarr"], ZarrWriteTests.Options(DataType.UInt8, [2, 8, 8], [2, 8, 8], "snappy")));
        Assert.False(Directory.Exists(tmp["x.zarr"]));
    }
}

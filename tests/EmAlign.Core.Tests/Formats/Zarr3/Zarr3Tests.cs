using System.Buffers.Binary;
using System.Text.Json.Nodes;
using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Tests.Formats.Zarr;
using EmAlign.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.Tests.Formats.Zarr3;

/// <summary>Zarr v3 arrays and OME-NGFF 0.5 groups: round trips, sharding layout, fixtures and bad input.</summary>
public class Zarr3Tests
{
    internal static VolumeCreateOptions Options(DataType t, long[] shape, int[] chunks, string codec = "none", int[]? shard = null) => new()
    {
        DataType = t, Shape = shape, ChunkShape = chunks, ShardShape = shard, Codec = codec,
        VoxelSize = new VoxelSize(4, 4, 40), Offset = (8, 12, 80),
    };

    public static TheoryData<DataType, string, bool> Cases()
    {
        var data = new TheoryData<DataType, string, bool>();
        foreach (var t in PatternData.AllTypes)
            foreach (var c in new[] { "none", "gzip", "zstd", "blosc-lz4" })
                foreach (var sharded in new[] { false, true }) data.Add(t, c, sharded);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryTypeRoundTripsPlainAndSharded(DataType type, string codec, bool sharded)
    {
        using var tmp = new TempFolder();
        long[] shape = [5, 37, 70];
        var data = PatternData.Make(type, shape);
        using (var v = VolumeFormats.Create("zarr3", tmp["a.zarr"], Options(type, shape, [2, 16, 32], codec, sharded ? [4, 32, 64] : null)))
            v.Write(0, Box3.FromSize(70, 37, 5), data);

        using var back = VolumeFormats.Open(tmp["a.zarr"]);
        Assert.Equal("zarr3", back.Format);
        Assert.Equal(type, back.DataType);
        Assert.Equal(data, ZarrFixtureTests.ReadAll(back));
        Assert.Equal(new VoxelSize(4, 4, 40), back.VoxelSize);
        Assert.Equal((8.0, 12.0, 80.0), back.Offset);
        var meta = JsonNode.Parse(File.ReadAllText(tmp["a.zarr/zarr.json"]))!;
        Assert.Equal(type.Name(), (string)meta["data_type"]!);
        Assert.Equal("[\"z\",\"y\",\"x\"]", meta["dimension_names"]!.ToJsonString());
        Assert.Equal(sharded ? "sharding_indexed" : "bytes", (string)meta["codecs"]![0]!["name"]!);
        // 3 x 3 x 3 chunks, or 2 x 2 x 2 shards.
        Assert.Equal(sharded ? 8 : 27, Directory.GetFiles(tmp["a.zarr/c"], "*", SearchOption.AllDirectories).Length);
        Assert.Empty(Directory.GetFiles(tmp.Path, "*.partial", SearchOption.AllDirectories));
    }

    [Fact]
    public void ShardFilesFollowTheSpecLayout()
    {
        using var tmp = new TempFolder();
        long[] shape = [2, 4, 6];
        var data = PatternData.Make(DataType.UInt16, shape);
        using (var v = VolumeFormats.Create("zarr3", tmp["s.zarr"], Options(DataType.UInt16, shape, [1, 2, 3], shard: [2, 4, 6])))
            v.Write(0, Box3.FromSize(6, 4, 2), data);
        var shard = File.ReadAllBytes(tmp["s.zarr/c/0/0/0"]);
        int n = 2 * 2 * 2, chunkBytes = 1 * 2 * 3 * 2;
        Assert.Equal(n * chunkBytes + 16 * n + 4, shard.Length);
        var index = shard.AsSpan(shard.Length - 16 * n - 4, 16 * n);
        Assert.Equal(Crc32C.Compute(index), BinaryPrimitives.ReadUInt32LittleEndian(shard.AsSpan(shard.Length - 4)));
        for (int i = 0; i < n; i++)
        {
            // Inner chunk i (C order of the inner grid) holds elements z = i/4, y = (i/2)%2 * 2.., x = i%2 * 3..
            ulong off = BinaryPrimitives.ReadUInt64LittleEndian(index[(16 * i)..]), len = BinaryPrimitives.ReadUInt64LittleEndian(index[(16 * i + 8)..]);
            Assert.Equal((ulong)chunkBytes, len);
            int z = i / 4, y0 = (i / 2) % 2 * 2, x0 = i % 2 * 3;
            for (int y = 0; y < 2; y++)
                for (int x = 0; x < 3; x++)
                {
                    int src = ((z * 4 + y0 + y) * 6 + x0 + x) * 2;
                    Assert.Equal(data.AsSpan(src, 2).ToArray(), shard.AsSpan((int)off + (y * 3 + x) * 2, 2).ToArray());
                }
        }
    }

    [Fact]
    public void ShardFilesKeepNoReservedSpaceBeyondTheirData()
    {
        // Shards are written into space reserved for the unencoded chunks; a compressed shard must give back the rest.
        if (!OperatingSystem.IsLinux()) return;
        using var tmp = new TempFolder();
        long[] shape = [4, 256, 256];
        var data = new byte[4 * 256 * 256];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(i / 4096 % 3 + 1);
        using (var v = VolumeFormats.Create("zarr3", tmp["c.zarr"], Options(DataType.UInt8, shape, [4, 64, 64], "zstd", [4, 256, 256])))
            v.Write(0, Box3.FromSize(256, 256, 4), data);
        string file = tmp["c.zarr/c/0/0/0"];
        long length = new FileInfo(file).Length;
        Assert.True(length < data.Length / 20, $"the shard is {length} bytes; compressed it should be far below {data.Length}");
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%b %B", file]) { RedirectStandardOutput = true })!;
        var parts = stat.StandardOutput.ReadToEnd().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        stat.WaitForExit();
        long allocated = long.Parse(parts[0]) * long.Parse(parts[1]);
        Assert.True(allocated <= length + 64 * 1024, $"the shard holds {allocated} bytes of disk for {length} bytes of data");
        using var back = VolumeFormats.Open(tmp["c.zarr"]);
        Assert.Equal(data, ZarrFixtureTests.ReadAll(back));
    }

    [Fact]
    public void IndexAtTheStartIsReadAndKeptOnRewrite()
    {
        using var tmp = new TempFolder();
        long[] shape = [2, 16, 16];
        var data = PatternData.Make(DataType.UInt16, shape);
        using (var v = VolumeFormats.Create("zarr3", tmp["s.zarr"], Options(DataType.UInt16, shape, [1, 8, 8], "zstd", [2, 16, 16])))
            v.Write(0, Box3.FromSize(16, 16, 2), data);
        // Move the index (16 n + 4 bytes) to the front and shift every offset by its size, as a start-index writer would.
        var file = tmp["s.zarr/c/0/0/0"];
        var bytes = File.ReadAllBytes(file);
        int n = 8, indexBytes = 16 * n + 4;
        var index = bytes.AsSpan(bytes.Length - indexBytes, 16 * n).ToArray();
        for (int i = 0; i < n; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(index.AsSpan(16 * i), BinaryPrimitives.ReadUInt64LittleEndian(index.AsSpan(16 * i)) + (ulong)indexBytes);
        var moved = new byte[bytes.Length];
        index.CopyTo(moved, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(moved.AsSpan(16 * n), Crc32C.Compute(index));
        bytes.AsSpan(0, bytes.Length - indexBytes).CopyTo(moved.AsSpan(indexBytes));
        File.WriteAllBytes(file, moved);
        var meta = JsonNode.Parse(File.ReadAllText(tmp["s.zarr/zarr.json"]))!;
        meta["codecs"]![0]!["configuration"]!["index_location"] = "start";
        File.WriteAllText(tmp["s.zarr/zarr.json"], meta.ToJsonString());

        using (var v = VolumeFormats.Open(tmp["s.zarr"], new VolumeOpenOptions { Writable = true, Cache = new ChunkCache(0) }))
        {
            Assert.Equal(data, ZarrFixtureTests.ReadAll(v));
            v.Write(0, new Box3(8, 0, 1, 8, 8, 1), new byte[128]);
            v.Flush();
        }
        Assert.Equal(ulong.MaxValue, BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(file).AsSpan(16 * 5))); // slot 5 (z 1, y 0, x 1): missing, index in front
        using var back = VolumeFormats.Open(tmp["s.zarr"]);
        var read = ZarrFixtureTests.ReadAll(back);
        for (int i = 0; i < read.Length; i += 2)
        {
            int e = i / 2, z = e / 256, y = e / 16 % 16, x = e % 16;
            bool cleared = z == 1 && y < 8 && x >= 8;
            Assert.Equal(cleared ? 0 : data[i], read[i]);
        }
    }

    [Fact]
    public void EmptyInnerChunksAndShardsAreNotStored()
    {
        using var tmp = new TempFolder();
        long[] shape = [1, 64, 64];
        using (var v = VolumeFormats.Create("zarr3", tmp["e.zarr"], Options(DataType.UInt8, shape, [1, 16, 16], shard: [1, 32, 32])))
        {
            var block = new byte[64 * 64];
            block[0] = 7; // one non-zero voxel: only shard (0,0) and its first inner chunk hold data
            v.Write(0, Box3.FromSize(64, 64, 1), block);
        }
        var files = Directory.GetFiles(tmp["e.zarr/c"], "*", SearchOption.AllDirectories);
        Assert.Single(files);
        var shard = File.ReadAllBytes(files[0]);
        Assert.Equal(16 * 16 + 16 * 4 + 4, shard.Length);
        Assert.Equal(ulong.MaxValue, BinaryPrimitives.ReadUInt64LittleEndian(shard.AsSpan(16 * 16 + 16)));
        using var back = VolumeFormats.Open(tmp["e.zarr"]);
        var read = back.Read<byte>(0, Box3.FromSize(64, 64, 1));
        Assert.Equal(7, read[0]);
        Assert.Equal(7, read.Sum(b => b));
    }

    [Fact]
    public void PartialShardWritesMergeWithTheStoredShard()
    {
        using var tmp = new TempFolder();
        long[] shape = [1, 32, 32];
        var data = PatternData.Make(DataType.UInt8, shape);
        using (var v = VolumeFormats.Create("zarr3", tmp["p.zarr"], Options(DataType.UInt8, shape, [1, 8, 8], "gzip", [1, 32, 32])))
        {
            v.Write(0, Box3.FromSize(32, 32, 1), data);
        }
        // Rewrite one inner chunk only; Flush writes the shard, keeping the other 15 chunks.
        using (var v = VolumeFormats.Open(tmp["p.zarr"], new VolumeOpenOptions { Writable = true, Cache = new ChunkCache(0) }))
        {
            v.Write(0, new Box3(8, 8, 0, 8, 8, 1), Enumerable.Repeat((byte)200, 64).ToArray());
            v.Flush();
        }
        using var back = VolumeFormats.Open(tmp["p.zarr"]);
        var read = back.Read<byte>(0, Box3.FromSize(32, 32, 1));
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++)
                Assert.Equal(x is >= 8 and < 16 && y is >= 8 and < 16 ? 200 : data[y * 32 + x], read[y * 32 + x]);
    }

    [Fact]
    public void PyramidsAreOmeNgff05ImageGroups()
    {
        using var tmp = new TempFolder();
        var o = Options(DataType.UInt8, [4, 32, 32], [2, 16, 16]) with { ExtraMags = [new Mag(2, 2, 1), new Mag(4, 4, 2)] };
        using (var v = VolumeFormats.Create("zarr3", tmp["p.zarr"], o))
        {
            Assert.Equal(3, v.Levels.Count);
            Assert.Equal(8, v.Levels[2].Size.X);
            Assert.Equal(2, v.Levels[2].Size.Z);
        }
        var group = JsonNode.Parse(File.ReadAllText(tmp["p.zarr/zarr.json"]))!;
        Assert.Equal("group", (string)group["node_type"]!);
        var ome = group["attributes"]!["ome"]!;
        Assert.Equal("0.5", (string)ome["version"]!);
        Assert.Equal("p", (string)ome["multiscales"]![0]!["name"]!);
        var ms = ome["multiscales"]![0]!;
        Assert.Null(ms["version"]);
        Assert.Equal("[\"z\",\"y\",\"x\"]", new JsonArray([.. ms["axes"]!.AsArray().Select(a => a!["name"]!.DeepClone())]).ToJsonString());
        Assert.Equal("[80,16,16]", ms["datasets"]![2]!["coordinateTransformations"]![0]!["scale"]!.ToJsonString());
        var level = JsonNode.Parse(File.ReadAllText(tmp["p.zarr/s1/zarr.json"]))!;
        Assert.Equal("[\"z\",\"y\",\"x\"]", level["dimension_names"]!.ToJsonString());
        using var back = VolumeFormats.Open(tmp["p.zarr"]);
        Assert.Equal([Mag.One, new Mag(2, 2, 1), new Mag(4, 4, 2)], back.Levels.Select(l => l.Mag));
        Assert.Equal(new VoxelSize(4, 4, 40, "nanometer"), back.VoxelSize);
    }

    [Fact]
    public void TransposedBigEndianAndV2KeyArraysRead()
    {
        using var tmp = new TempFolder();
        var dir = tmp["t.zarr"];
        Directory.CreateDirectory(dir);
        // (x, y) stored array with a transpose to (y, x) order, big-endian, v2 "." keys, crc32c after gzip.
        File.WriteAllText(Path.Combine(dir, "zarr.json"), """
            {"zarr_format":3,"node_type":"array","shape":[3,2],"data_type":"uint16",
             "chunk_grid":{"name":"regular","configuration":{"chunk_shape":[3,2]}},
             "chunk_key_encoding":{"name":"v2","configuration":{"separator":"."}},
             "fill_value":0,"dimension_names":["x","y"],
             "codecs":[{"name":"transpose","configuration":{"order":[1,0]}},{"name":"bytes","configuration":{"endian":"big"}},
                       {"name":"gzip","configuration":{"level":1}},{"name":"crc32c"}]}
            """);
        // Serialised bytes: transposed (y, x) C order = rows of x; values v(x, y) = 10 y + x.
        var raw = new byte[12];
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 3; x++) BinaryPrimitives.WriteUInt16BigEndian(raw.AsSpan((y * 3 + x) * 2), (ushort)(10 * y + x));
        File.WriteAllBytes(Path.Combine(dir, "0.0"), Crc32CAppend(new GzipCodec(1).Encode(raw, 2)));
        using var v = VolumeFormats.Open(dir);
        Assert.Equal([1L, 2, 3], v.Levels[0].Array.Shape);
        Assert.Equal([0, 1, 2, 10, 11, 12], v.Read<ushort>(0, Box3.FromSize(3, 2, 1)).Select(u => (int)u));
    }

    [Fact]
    public void DamagedInputGetsErrorsNamingTheFile()
    {
        using var tmp = new TempFolder();
        long[] shape = [1, 16, 16];
        using (var v = VolumeFormats.Create("zarr3", tmp["d.zarr"], Options(DataType.UInt8, shape, [1, 8, 8], shard: [1, 16, 16])))
            v.Write(0, Box3.FromSize(16, 16, 1), PatternData.Make(DataType.UInt8, shape));
        var shardFile = tmp["d.zarr/c/0/0/0"];
        var bytes = File.ReadAllBytes(shardFile);
        bytes[^10] ^= 0xFF; // inside the index: the checksum fails
        File.WriteAllBytes(shardFile, bytes);
        using (var v = VolumeFormats.Open(tmp["d.zarr"]))
        {
            var e = Assert.Throws<CorruptDataException>(() => v.Read<byte>(0, Box3.FromSize(4, 4, 1)));
            Assert.Contains(shardFile, e.Message);
            Assert.Contains("checksum", e.Message);
        }
        File.WriteAllBytes(shardFile, bytes[..20]);
        using (var v = VolumeFormats.Open(tmp["d.zarr"]))
            Assert.Contains("truncated", Assert.Throws<CorruptDataException>(() => v.Read<byte>(0, Box3.FromSize(4, 4, 1))).Message);

        var meta = JsonNode.Parse(File.ReadAllText(tmp["d.zarr/zarr.json"]))!;
        meta["codecs"]![0]!["configuration"]!["codecs"]!.AsArray().Add(new JsonObject { ["name"] = "lzma9" });
        File.WriteAllText(tmp["d.zarr/zarr.json"], meta.ToJsonString());
        var bad = Assert.Throws<InvalidVolumeException>(() => VolumeFormats.Open(tmp["d.zarr"]));
        Assert.Contains("lzma9", bad.Message);
        Assert.Contains(tmp["d.zarr/zarr.json"], bad.Message);

        meta = JsonNode.Parse(File.ReadAllText(tmp["d.zarr/zarr.json"]))!;
        meta.AsObject().Remove("codecs");
        meta["surprise"] = 1;
        File.WriteAllText(tmp["d.zarr/zarr.json"], meta.ToJsonString());
        Assert.Contains("surprise", Assert.Throws<InvalidVolumeException>(() => VolumeFormats.Open(tmp["d.zarr"])).Message);
    }

    [FixtureFact]
    public void WebKnossosShardedFixtureMatchesItsZarr2Copy()
    {
        using var v3 = VolumeFormats.Open(SharedData.Fixture("webknossos/simple_zarr3_dataset/color/1"));
        using var v2 = VolumeFormats.Open(SharedData.Fixture("webknossos/simple_zarr_dataset/color/1-1-1"));
        Assert.Equal(3, v3.Channels);
        Assert.Equal(Box3.FromSize(24, 24, 24), v3.Bounds);
        var a = v3.Read<byte>(0, v3.Bounds);
        // The zarr v2 copy has no axis metadata: its stored (c, x, y, z) order reads as if it were (c, z, y, x).
        var b = v2.Read<byte>(0, v2.Bounds);
        for (int c = 0; c < 3; c++)
            for (int z = 0; z < 24; z++)
                for (int y = 0; y < 24; y++)
                    for (int x = 0; x < 24; x++)
                        Assert.Equal(b[((c * 24 + x) * 24 + y) * 24 + z], a[((c * 24 + z) * 24 + y) * 24 + x]);
    }

    private static byte[] Crc32CAppend(byte[] data)
    {
        var r = new byte[data.Length + 4];
        data.CopyTo(r, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(data.Length), Crc32C.Compute(data));
        return r;
    }
}

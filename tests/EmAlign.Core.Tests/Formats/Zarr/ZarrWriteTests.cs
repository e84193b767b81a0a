using System.Text.Json.Nodes;
using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Formats;
using EmAlign.Formats.Zarr;
using EmAlign.Geometry;
using EmAlign.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.Tests.Formats.Zarr;

/// <summary>Creating and writing Zarr v2 volumes, reading them back.</summary>
public class ZarrWriteTests
{
    public static TheoryData<DataType, string> TypesAndCodecs()
    {
        var data = new TheoryData<DataType, string>();
        foreach (var t in PatternData.AllTypes)
            foreach (var c in ChunkCodecs.Names) data.Add(t, c);
        return data;
    }

    internal static VolumeCreateOptions Options(DataType t, long[] shape, int[] chunks, string codec = "none") => new()
    {
        DataType = t, Shape = shape, ChunkShape = chunks, Codec = codec,
        VoxelSize = new VoxelSize(4, 4, 40), Offset = (8, 12, 80),
    };

    [Theory]
    [MemberData(nameof(TypesAndCodecs))]
    public void EveryTypeAndCodecRoundTrips(DataType type, string codec)
    {
        using var tmp = new TempFolder();
        long[] shape = [5, 37, 70];   // edge chunks on every axis
        var data = PatternData.Make(type, shape);
        var box = Box3.FromSize(70, 37, 5);
        using (var v = VolumeFormats.Create("zarr2", tmp["a.zarr"], Options(type, shape, [2, 16, 32], codec)))
            v.Write(0, box, data);

        using var back = VolumeFormats.Open(tmp["a.zarr"]);
        Assert.Equal(type, back.DataType);
        Assert.Equal(data, ZarrFixtureTests.ReadAll(back));
        Assert.Equal(new VoxelSize(4, 4, 40), back.VoxelSize);
        Assert.Equal((8.0, 12.0, 80.0), back.Offset);
        var meta = JsonNode.Parse(File.ReadAllText(tmp["a.zarr/.zarray"]))!;
        Assert.Equal(type.TypeString(), (string)meta["dtype"]!);
        Assert.Equal(codec == "none", meta["compressor"] is null);
        // Edge chunks are stored at full size: 3 x 3 x 3 chunk files.
        Assert.Equal(27, Directory.GetFiles(tmp["a.zarr"]).Count(f => char.IsAsciiDigit(Path.GetFileName(f)[0])));
        Assert.Empty(Directory.GetFiles(tmp["a.zarr"], "*.partial"));
    }

    [Fact]
    public void ChannelVolumesRoundTripWithChannelAxisAttributes()
    {
        using var tmp = new TempFolder();
        long[] shape = [3, 4, 20, 30];
        var data = PatternData.Make(DataType.UInt16, shape);
        using (var v = VolumeFormats.Create("zarr2", tmp["c.zarr"], Options(DataType.UInt16, shape, [3, 4, 16, 16], "zlib")))
            v.Write(0, Box3.FromSize(30, 20, 4), data);
        var attrs = JsonNode.Parse(File.ReadAllText(tmp["c.zarr/.zattrs"]))!;
        Assert.Equal("[\"c^\",\"z\",\"y\",\"x\"]", attrs["axis_names"]!.ToJsonString());
        Assert.Equal("[40,4,4]", attrs["voxel_size"]!.ToJsonString());
        Assert.Equal("[80,12,8]", attrs["offset"]!.ToJsonString());
        using var back = VolumeFormats.Open(tmp["c.zarr"]);
        Assert.Equal(3, back.Channels);
        Assert.Equal(data, ZarrFixtureTests.ReadAll(back));
    }

    [Fact]
    public void FortranOrderBigEndianNestedArraysWriteInTheirOwnLayout()
    {
        using var tmp = new TempFolder();
        long[] shape = [3, 5, 7];
        using (VolumeFormats.Create("zarr2", tmp["f.zarr"], Options(DataType.UInt16, shape, [2, 4, 4]))) { }
        var meta = JsonNode.Parse(File.ReadAllText(tmp["f.zarr/.zarray"]))!.AsObject();
        meta["order"] = "F";
        meta["dtype"] = ">u2";
        meta["dimension_separator"] = "/";
        File.WriteAllText(tmp["f.zarr/.zarray"], meta.ToJsonString());

        var data = PatternData.Make(DataType.UInt16, shape);
        var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(data).ToArray();
        using (var v = VolumeFormats.Open(tmp["f.zarr"], new VolumeOpenOptions { Writable = true }))
            v.Write<ushort>(0, Box3.FromSize(7, 5, 3), values);

        // Chunk (0, 1, 1) holds z 0-1, y 4-7, x 4-7; F order puts z fastest, then y, then x; big-endian bytes.
        var chunk = File.ReadAllBytes(tmp["f.zarr/0/1/1"]);
        Assert.Equal(2 * 4 * 4 * 2, chunk.Length);
        int zi = 1, yi = 0, xi = 2;   // element (z 1, y 4, x 6)
        int f = zi + 2 * (yi + 4 * xi);
        Assert.Equal(values[(1 * 5 + 4) * 7 + 6], (ushort)(chunk[2 * f] << 8 | chunk[2 * f + 1]));

        using var back = VolumeFormats.Open(tmp["f.zarr"]);
        Assert.Equal(values, back.Read<ushort>(0, Box3.FromSize(7, 5, 3)));
    }

    [Fact]
    public void PyramidsGetOmeNgffGroupAndScaleArrays()
    {
        using var tmp = new TempFolder();
        var opts = Options(DataType.UInt8, [8, 40, 50], [4, 16, 16], "gzip") with { ExtraMags = [new Mag(2, 2, 1), new Mag(4, 4, 2)] };
        using (var v = VolumeFormats.Create("zarr2", tmp["p.zarr"], opts))
        {
            Assert.Equal(3, v.Levels.Count);
            Assert.Equal((13L, 10L, 4L), v.Levels[2].Size);
            v.Write(2, v.Levels[2].Bounds, PatternData.Make(DataType.UInt8, [4, 10, 13]));
        }
        Assert.True(File.Exists(tmp["p.zarr/.zgroup"]));
        var ms = JsonNode.Parse(File.ReadAllText(tmp["p.zarr/.zattrs"]))!["multiscales"]![0]!;
        Assert.Equal("0.4", (string)ms["version"]!);
        Assert.Equal("[40,8,8]", ms["datasets"]![1]!["coordinateTransformations"]![0]!["scale"]!.ToJsonString());
        Assert.Equal("/", (string)JsonNode.Parse(File.ReadAllText(tmp["p.zarr/s2/.zarray"]))!["dimension_separator"]!);
        Assert.True(File.Exists(tmp["p.zarr/s2/0/0/0"]));

        using var back = VolumeFormats.Open(tmp["p.zarr"]);
        Assert.Equal([Mag.One, new Mag(2, 2, 1), new Mag(4, 4, 2)], back.Levels.Select(l => l.Mag));
        Assert.Equal(new VoxelSize(4, 4, 40), back.VoxelSize);
        Assert.Equal((8.0, 12.0, 80.0), back.Offset);
        Assert.Equal(PatternData.Make(DataType.UInt8, [4, 10, 13]), ZarrFixtureTests.ReadAll(back, 2));
        // A scale array alone still carries its own voxel size (funlib attributes).
        using var s1 = VolumeFormats.Open(tmp["p.zarr/s1"]);
        Assert.Equal(new VoxelSize(8, 8, 40), s1.VoxelSize);
    }

    [Fact]
    public void APyramidBuiltUnderATemporaryNameIsNamedAfterItsDestination()
    {
        // The copier builds "name.partial-XXXXXXXX.zarr" and renames it: the multiscales name is the final one.
        using var tmp = new TempFolder();
        using (var v = VolumeFormats.Create("zarr2", tmp["src.zarr"], Options(DataType.UInt8, [4, 32, 32], [4, 16, 16])))
            v.Write(0, Box3.FromSize(32, 32, 4), PatternData.Make(DataType.UInt8, [4, 32, 32]));
        using (var src = VolumeFormats.Open(tmp["src.zarr"]))
            VolumeCopier.Copy(src, tmp["em stack.zarr"], new CopyOptions { Format = "zarr2", ExtraMags = [new Mag(2, 2, 1)] });
        var ms = JsonNode.Parse(File.ReadAllText(tmp["em stack.zarr/.zattrs"]))!["multiscales"]![0]!;
        Assert.Equal("em stack", (string)ms["name"]!);
    }

    [Fact]
    public void GroupsOfScaleArraysWithoutMetadataOpenAsPyramid()
    {
        using var tmp = new TempFolder();
        var opts = Options(DataType.UInt8, [4, 30, 30], [4, 16, 16]) with { ExtraMags = [new Mag(2, 2, 2)] };
        using (VolumeFormats.Create("zarr2", tmp["p.zarr"], opts)) { }
        File.Delete(tmp["p.zarr/.zattrs"]);
        foreach (var s in new[] { "s0", "s1" }) File.Delete(tmp[$"p.zarr/{s}/.zattrs"]);
        using var v = VolumeFormats.Open(tmp["p.zarr"]);
        Assert.Equal([Mag.One, new Mag(2, 2, 2)], v.Levels.Select(l => l.Mag));
        Assert.Equal(VoxelSize.Unknown, v.VoxelSize);
    }

    [Fact]
    public void DatasetsInsideContainersGetParentGroupsAndConsolidatedMetadataStaysTrue()
    {
        using var tmp = new TempFolder();
        Directory.CreateDirectory(tmp["d.zarr"]);
        File.WriteAllText(tmp["d.zarr/.zgroup"], "{\"zarr_format\": 2}");
        File.WriteAllText(tmp["d.zarr/.zmetadata"], "{\"metadata\": {\".zgroup\": {\"zarr_format\": 2}, \"raw/em/.zarray\": {\"stale\": true}}, \"zarr_consolidated_format\": 1}");
        using var v = VolumeFormats.Create("zarr2", tmp["d.zarr/raw/em"], Options(DataType.UInt8, [2, 8, 8], [2, 8, 8]));
        Assert.Equal(tmp["d.zarr"], v.Path);
        Assert.Equal("raw/em", v.Dataset);
        Assert.True(File.Exists(tmp["d.zarr/raw/.zgroup"]));
        var meta = JsonNode.Parse(File.ReadAllText(tmp["d.zarr/.zmetadata"]))!["metadata"]!;
        Assert.Equal("[2,8,8]", meta["raw/em/.zarray"]!["shape"]!.ToJsonString());
        Assert.NotNull(meta["raw/.zgroup"]);
        Assert.NotNull(meta["raw/em/.zattrs"]);
    }

    [Fact]
    public void ExistingDatasetsNeedForceAndForceReplacesOnlyZarr()
    {
        using var tmp = new TempFolder();
        var opts = Options(DataType.UInt8, [2, 8, 8], [1, 8, 8]);
        using (var v = VolumeFormats.Create("zarr2", tmp["e.zarr"], opts)) v.Write(0, Box3.FromSize(8, 8, 2), new byte[128]);
        Assert.True(File.Exists(tmp["e.zarr/1.0.0"]));
        var e = Assert.Throws<OutputExistsException>(() => VolumeFormats.Create("zarr2", tmp["e.zarr"], opts));
        Assert.Contains("e.zarr", e.Message);
        using (VolumeFormats.Create("zarr2", tmp["e.zarr"], opts with { Force = true, DataType = DataType.UInt16 })) { }
        Assert.False(File.Exists(tmp["e.zarr/1.0.0"]));
        Assert.Contains("<u2", File.ReadAllText(tmp["e.zarr/.zarray"]));

        Directory.CreateDirectory(tmp["notes"]);
        File.WriteAllText(tmp["notes/keep.txt"], "mine");
        Assert.Throws<InvalidVolumeException>(() => VolumeFormats.Create("zarr2", tmp["notes"], opts with { Force = true }));
        Assert.True(File.Exists(tmp["notes/keep.txt"]));
    }

    [Fact]
    public void FillValuesAreWrittenAsZarrPythonSpellsThem()
    {
        using var tmp = new TempFolder();
        using (var v = VolumeFormats.Create("zarr2", tmp["n.zarr"], Options(DataType.Float32, [2, 8, 8], [1, 8, 8]) with { FillValue = double.NaN }))
            v.Write<float>(0, Box3.FromSize(8, 8, 1), new float[64]);
        Assert.Equal("NaN", (string)JsonNode.Parse(File.ReadAllText(tmp["n.zarr/.zarray"]))!["fill_value"]!);
        using var back = VolumeFormats.Open(tmp["n.zarr"]);
        var all = back.Read<float>(0, Box3.FromSize(8, 8, 2));
        Assert.All(all.Take(64), f => Assert.Equal(0f, f));
        Assert.All(all.Skip(64), f => Assert.True(float.IsNaN(f)));
        Assert.Throws<EmAlignException>(() => VolumeFormats.Create("zarr2", tmp["i.zarr"], Options(DataType.UInt8, [2, 8, 8], [1, 8, 8]) with { FillValue = 300 }));
    }

    [Fact]
    public void WritingTheWrongElementTypeIsRefused()
    {
        using var tmp = new TempFolder();
        using var v = VolumeFormats.Create("zarr2", tmp["t.zarr"], Options(DataType.UInt8, [2, 8, 8], [1, 8, 8]));
        var e = Assert.Throws<InvalidOperationException>(() => v.Write<ushort>(0, Box3.FromSize(8, 8, 2), new ushort[128]));
        Assert.Contains("uint8", e.Message);
        using var ro = VolumeFormats.Open(tmp["t.zarr"]);
        Assert.Throws<InvalidOperationException>(() => ro.Write<byte>(0, Box3.FromSize(8, 8, 2), new byte[128]));
    }

    [Fact]
    public void TwoDimensionalAndAxisNamedArraysMapOntoZyx()
    {
        using var tmp = new TempFolder();
        // A 2-D (y, x) array: read as one section.
        Directory.CreateDirectory(tmp["2d.zarr"]);
        File.WriteAllText(tmp["2d.zarr/.zarray"], """{"zarr_format":2,"shape":[3,4],"chunks":[3,4],"dtype":"|u1","compressor":null,"fill_value":0,"order":"C","filters":null}""");
        File.WriteAllBytes(tmp["2d.zarr/0.0"], [.. Enumerable.Range(0, 12).Select(i => (byte)i)]);
        using (var v = VolumeFormats.Open(tmp["2d.zarr"]))
        {
            Assert.Equal((4L, 3L, 1L), v.Levels[0].Size);
            Assert.Equal(Enumerable.Range(0, 12).Select(i => (byte)i), v.Read<byte>(0, Box3.FromSize(4, 3, 1)));
        }
        // An (x, y, z) array named so by funlib axis_names: element [x, y, z] is voxel (x, y, z).
        Directory.CreateDirectory(tmp["xyz.zarr"]);
        File.WriteAllText(tmp["xyz.zarr/.zarray"], """{"zarr_format":2,"shape":[2,3,4],"chunks":[2,3,4],"dtype":"|u1","compressor":null,"fill_value":0,"order":"C","filters":null}""");
        File.WriteAllText(tmp["xyz.zarr/.zattrs"], """{"axis_names":["x","y","z"],"voxel_size":[1,2,3],"units":["nm","nm","nm"]}""");
        File.WriteAllBytes(tmp["xyz.zarr/0.0.0"], [.. Enumerable.Range(0, 24).Select(i => (byte)i)]);
        using (var v = VolumeFormats.Open(tmp["xyz.zarr"]))
        {
            Assert.Equal((2L, 3L, 4L), v.Levels[0].Size);
            Assert.Equal(new VoxelSize(1, 2, 3), v.VoxelSize);
            var got = v.Read<byte>(0, Box3.FromSize(2, 3, 4));
            for (int z = 0; z < 4; z++)
                for (int y = 0; y < 3; y++)
                    for (int x = 0; x < 2; x++)
                        Assert.Equal((x * 3 + y) * 4 + z, got[(z * 3 + y) * 2 + x]);
        }
    }

    [Fact]
    public void ParallelWritesCreateNestedChunkFoldersSafely()
    {
        using var tmp = new TempFolder();
        // Many small chunks under "/" keys: threads race to create the same folders.
        var opts = Options(DataType.UInt8, [4, 32, 32], [1, 4, 4]) with { ExtraMags = [new Mag(2, 2, 2)] };
        var data = PatternData.Make(DataType.UInt8, [4, 32, 32]);
        using (var v = VolumeFormats.Create("zarr2", tmp["n.zarr"], opts)) v.Write(0, Box3.FromSize(32, 32, 4), data);
        Assert.Equal(4 * 8 * 8, Directory.GetFiles(tmp["n.zarr/s0"], "*", SearchOption.AllDirectories).Count(f => char.IsAsciiDigit(Path.GetFileName(f)[0])));
        Assert.Empty(Directory.GetFiles(tmp["n.zarr"], "*.partial", SearchOption.AllDirectories));
        using var back = VolumeFormats.Open(tmp["n.zarr"]);
        Assert.Equal(data, ZarrFixtureTests.ReadAll(back));
    }
}

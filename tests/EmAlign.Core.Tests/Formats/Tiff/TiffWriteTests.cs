using EmAlign.Diagnostics;
using EmAlign.Formats;
using EmAlign.Formats.Tiff;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Tests.Formats.Tiff;

/// <summary>Writing TIFF stacks and folders of slices, and reading them back.</summary>
public sealed class TiffWriteTests : IDisposable
{
    private readonly string _dir = TiffTestData.TempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, DataType> FormatsAndTypes()
    {
        var data = new TheoryData<string, DataType>();
        foreach (var format in new[] { "tiff", "tiff-folder" })
            foreach (var t in Enum.GetValues<DataType>()) data.Add(format, t);
        return data;
    }

    private static VolumeCreateOptions Options(DataType t, long z, long y, long x, VoxelSize? vs = null, bool force = false) => new()
    {
        DataType = t,
        Shape = [z, y, x],
        VoxelSize = vs ?? VoxelSize.Unknown,
        Force = force,
    };

    [Theory]
    [MemberData(nameof(FormatsAndTypes))]
    public void WriteInAnyOrderThenReadBack(string format, DataType type)
    {
        string path = Path.Combine(_dir, format == "tiff" ? "stack.tif" : "slices");
        var all = Box3.FromSize(37, 23, 5);
        var data = TiffTestData.Pattern(type, all.VoxelCount);
        var vs = new VoxelSize(4.6, 4.6, 45, "nanometer");
        // Without a cache, the second half of page 2 is merged with what the writer reads back from its file.
        using (var v = VolumeFormats.Create(format, path, Options(type, 5, 23, 37, vs) with { Cache = new ChunkCache(0) }))
        {
            // Pages arrive out of order, and page 2 in two halves (read, merged and rewritten).
            long plane = all.SizeX * all.SizeY * type.Size();
            foreach (int z in new[] { 4, 0, 3, 1 })
                v.Write(0, new Box3(0, 0, z, 37, 23, 1), data.AsSpan((int)(z * plane), (int)plane));
            Assert.False(Path.Exists(path));
            var half = new Box3(0, 0, 2, 37, 11, 1);
            v.Write(0, half, data.AsSpan((int)(2 * plane), (int)(11 * 37 * type.Size())));
            v.Write(0, new Box3(0, 11, 2, 37, 12, 1), data.AsSpan((int)(2 * plane + 11 * 37 * type.Size()), (int)(12 * 37 * type.Size())));
            v.Flush();
            Assert.True(Path.Exists(path));
            Assert.False(Path.Exists(path + ".partial"));
        }
        using var r = VolumeFormats.Open(path);
        Assert.Equal(format, r.Format);
        Assert.Equal(type, r.DataType);
        Assert.Equal(all, r.Bounds);
        var back = new byte[data.Length];
        r.Read(0, all, back);
        Assert.Equal(data, back);
        Assert.Equal("nanometer", r.VoxelSize.Unit);
        Assert.Equal(4.6, r.VoxelSize.X, 9);
        Assert.Equal(4.6, r.VoxelSize.Y, 9);
        Assert.Equal(45, r.VoxelSize.Z, 9);
    }

    [Fact]
    public void WrittenStackIsImageJLittleEndianClassicTiff()
    {
        string path = Path.Combine(_dir, "ij.tif");
        using (var v = VolumeFormats.Create("tiff", path, Options(DataType.UInt16, 3, 4, 5, new VoxelSize(0.25, 0.25, 1.5, "micrometer"))))
            v.Write<ushort>(0, v.Bounds, new ushort[60]);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x49, 0x49, 0x2A, 0, 8, 0, 0, 0 }, bytes[..8]);
        string text = System.Text.Encoding.ASCII.GetString(bytes);
        Assert.Contains("ImageJ=1.11a\nimages=3\nslices=3\nunit=um\nspacing=1.5\n", text);
    }

    [Fact]
    public void BigTiffLayoutRoundTrips()
    {
        string path = Path.Combine(_dir, "big.tif");
        var layout = new TiffStackLayout(19, 7, 4, DataType.Int16, VoxelSize.Unknown, forceBigTiff: true);
        var data = TiffTestData.Pattern(DataType.Int16, 4 * 7 * 19);
        using (var w = TiffStackWriter.Create(path, layout, DataType.Int16, 0, force: false))
            for (int z = 3; z >= 0; z--) w.WriteChunk([z, 0, 0], data.AsSpan(z * 266, 266));
        Assert.Equal(0x2B, File.ReadAllBytes(path)[2]);
        using var r = VolumeFormats.Open(path);
        var back = new byte[data.Length];
        r.Read(0, r.Bounds, back);
        Assert.Equal(data, back);
        Assert.Equal(VoxelSize.Unknown, r.VoxelSize);
    }

    [Fact]
    public void LayoutSwitchesToBigTiffPast4GiB()
    {
        var small = new TiffStackLayout(1024, 1024, 4000, DataType.UInt8, VoxelSize.Unknown);
        var large = new TiffStackLayout(1024, 1024, 4200, DataType.UInt8, VoxelSize.Unknown);
        Assert.False(small.BigTiff);
        Assert.True(small.FileLength <= uint.MaxValue);
        Assert.True(large.BigTiff);
        Assert.Equal(large.DataStart + 4200L * 1024 * 1024, large.TailStart);
    }

    [Theory]
    [InlineData("tiff")]
    [InlineData("tiff-folder")]
    public void InterruptedWriteLeavesOnlyAPartialOutput(string format)
    {
        string path = Path.Combine(_dir, format == "tiff" ? "cut.tif" : "cut");
        using (var v = VolumeFormats.Create(format, path, Options(DataType.UInt8, 3, 8, 8)))
        {
            v.Write<byte>(0, new Box3(0, 0, 1, 8, 8, 1), new byte[64]);
            v.Flush();
        }
        Assert.False(Path.Exists(path));
        Assert.True(Path.Exists(path + ".partial"));
    }

    [Theory]
    [InlineData("tiff")]
    [InlineData("tiff-folder")]
    public void ExistingOutputNeedsForce(string format)
    {
        string path = Path.Combine(_dir, format == "tiff" ? "old.tif" : "old");
        if (format == "tiff") File.WriteAllText(path, "old");
        else { Directory.CreateDirectory(path); File.WriteAllText(Path.Combine(path, "a.tif"), "old"); }

        var e = Assert.Throws<OutputExistsException>(() => VolumeFormats.Create(format, path, Options(DataType.UInt8, 2, 3, 3)));
        Assert.Contains(path, e.Message);

        using (var v = VolumeFormats.Create(format, path, Options(DataType.UInt8, 2, 3, 3, force: true)))
            v.Write<byte>(0, v.Bounds, [.. Enumerable.Range(0, 18).Select(i => (byte)i)]);
        using var r = VolumeFormats.Open(path);
        Assert.Equal(Enumerable.Range(0, 18).Select(i => (byte)i), r.Read<byte>(0, r.Bounds));
    }

    [Fact]
    public void FolderSlicesAreZeroPaddedAndSortable()
    {
        string path = Path.Combine(_dir, "many");
        using (var v = VolumeFormats.Create("tiff-folder", path, Options(DataType.UInt8, 12, 2, 2)))
            v.Write<byte>(0, v.Bounds, new byte[48]);
        var names = Directory.GetFiles(path).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"slice_{i:D4}.tif"), names);
    }

    [Fact]
    public void CreateRejectsWhatTiffCannotStore()
    {
        string path = Path.Combine(_dir, "x.tif");
        Assert.Throws<EmAlignException>(() => VolumeFormats.Create("tiff", path, Options(DataType.UInt8, 2, 3, 3) with { Codec = "zlib" }));
        Assert.Throws<EmAlignException>(() => VolumeFormats.Create("tiff", path, Options(DataType.UInt8, 2, 3, 3) with { ChunkShape = [1, 2, 3] }));
        Assert.Throws<EmAlignException>(() => VolumeFormats.Create("tiff", path, Options(DataType.UInt8, 2, 3, 3) with { Shape = [2, 2, 3, 3] }));
        Assert.Throws<EmAlignException>(() => VolumeFormats.Create("tiff-folder", path, Options(DataType.UInt8, 2, 3, 3) with { ExtraMags = [new Mag(2, 2, 1)] }));
        Assert.False(Path.Exists(path));
        Assert.False(Path.Exists(path + ".partial"));
    }
}

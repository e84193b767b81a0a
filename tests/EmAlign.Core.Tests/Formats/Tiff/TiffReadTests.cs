using EmAlign.Diagnostics;
using EmAlign.Formats;
using EmAlign.Formats.Tiff;
using EmAlign.Geometry;
using EmAlign.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.Tests.Formats.Tiff;

/// <summary>Reader behaviour beyond the fixtures: ImageJ single-IFD stacks, detection and bad input.</summary>
public sealed class TiffReadTests : IDisposable
{
    private readonly string _dir = TiffTestData.TempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Writes a 4-plane uint16 stack with ImageJ calibration and returns its path and bytes.</summary>
    private (string Path, byte[] Data) WriteStack(string name, DataType type = DataType.UInt16, int planes = 4)
    {
        string path = Path.Combine(_dir, name);
        var data = TiffTestData.Pattern(type, planes * 9L * 13);
        using var v = VolumeFormats.Create("tiff", path, new VolumeCreateOptions
        {
            DataType = type,
            Shape = [planes, 9, 13],
            VoxelSize = new VoxelSize(0.004, 0.004, 0.05, "micrometer"),
        });
        v.Write(0, v.Bounds, data);
        return (path, data);
    }

    [Fact]
    public void ImageJSingleIfdStackReadsEveryPlane()
    {
        var (path, data) = WriteStack("one-ifd.tif");
        TiffTestData.CutChainAfterFirstIfd(path);
        using var v = VolumeFormats.Open(path);
        Assert.Equal(Box3.FromSize(13, 9, 4), v.Bounds);
        var back = new byte[data.Length];
        v.Read(0, v.Bounds, back);
        Assert.Equal(data, back);
    }

    [Fact]
    public void ImageJSingleIfdStackThatIsCutShortIsCorrupt()
    {
        var (path, _) = WriteStack("one-ifd-cut.tif");
        TiffTestData.CutChainAfterFirstIfd(path);
        var layout = new TiffStackLayout(13, 9, 4, DataType.UInt16, new VoxelSize(0.004, 0.004, 0.05, "micrometer"));
        using (var f = new FileStream(path, FileMode.Open)) f.SetLength(layout.PlaneOffset(3) + 10);
        var e = Assert.Throws<CorruptDataException>(() => VolumeFormats.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("images", e.Message);
    }

    [Fact]
    public void MissingFileIsNotFound()
    {
        string path = Path.Combine(_dir, "nothing.tif");
        var e = Assert.Throws<VolumeNotFoundException>(() => VolumeFormats.Open(path));
        Assert.Contains("nothing.tif", e.Message);
        Assert.Throws<VolumeNotFoundException>(() => VolumeFormats.Get("tiff").Open(path, new VolumeOpenOptions()));
    }

    [Fact]
    public void NonTiffFileNamedTifSaysWhatItFound()
    {
        string path = Path.Combine(_dir, "fake.TIF");
        File.WriteAllBytes(path, [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0]);
        var e = Assert.Throws<InvalidVolumeException>(() => VolumeFormats.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("not a TIFF file", e.Message);
        Assert.Contains("89504E47", e.Message);
    }

    [Fact]
    public void TiffHeaderIsDetectedWhateverTheName()
    {
        var (path, _) = WriteStack("stack.tif");
        string other = Path.Combine(_dir, "stack.btf");
        File.Copy(path, other);
        Assert.Equal("tiff", VolumeFormats.Open(other).Format);
        File.WriteAllText(Path.Combine(_dir, "notes.txt"), "not an image");
        Assert.False(VolumeFormats.Get("tiff").CanOpen(Path.Combine(_dir, "notes.txt")));
    }

    [Fact]
    public void TruncatedStripNamesFileAndPage()
    {
        var (path, _) = WriteStack("short.tif", planes: 1);
        var layout = new TiffStackLayout(13, 9, 1, DataType.UInt16, new VoxelSize(0.004, 0.004, 0.05, "micrometer"));
        using (var f = new FileStream(path, FileMode.Open)) f.SetLength(layout.DataStart + 100);
        using var v = VolumeFormats.Open(path);
        var e = Assert.Throws<CorruptDataException>(() => v.Read<ushort>(0, v.Bounds));
        Assert.Contains(path, e.Message);
        Assert.Contains("page 0", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void CompressedLastStripPaddedToFullRowsIsAccepted()
    {
        // 5 rows of 6 in strips of 2 rows; the last strip carries 2 rows although only 1 exists.
        var pixels = Enumerable.Range(0, 36).Select(i => (byte)(i * 7)).ToArray();
        byte[][] strips = [.. Enumerable.Range(0, 3).Select(k => TiffTestData.PackBitsLiteral(pixels.AsSpan(k * 12, 12)))];
        string path = Path.Combine(_dir, "padded.tif");
        File.WriteAllBytes(path, TiffTestData.SinglePageUInt8(6, 5, 2, 32773, strips));
        using var v = VolumeFormats.Open(path);
        Assert.Equal(Box3.FromSize(6, 5, 1), v.Bounds);
        Assert.Equal(pixels[..30], v.Read<byte>(0, v.Bounds));
    }

    [Fact]
    public void CompressedStripThatEndsEarlyIsTruncated()
    {
        var pixels = Enumerable.Range(0, 30).Select(i => (byte)i).ToArray();
        byte[][] strips = [TiffTestData.PackBitsLiteral(pixels.AsSpan(0, 12)), TiffTestData.PackBitsLiteral(pixels.AsSpan(12, 12)), TiffTestData.PackBitsLiteral(pixels.AsSpan(24, 3))];
        string path = Path.Combine(_dir, "short-strip.tif");
        File.WriteAllBytes(path, TiffTestData.SinglePageUInt8(6, 5, 2, 32773, strips));
        using var v = VolumeFormats.Open(path);
        var e = Assert.Throws<CorruptDataException>(() => v.Read<byte>(0, v.Bounds));
        Assert.Contains(path, e.Message);
        Assert.Contains("page 0", e.Message);
        Assert.Contains("strip 2 decodes to 3 bytes; 6 are needed", e.Message);
    }

    [FixtureFact]
    public void DamagedCompressedStripNamesFileAndPage()
    {
        string path = Path.Combine(_dir, "damaged.tif");
        File.Copy(SharedData.Fixture("tiff/uint16-stack-deflate.tif"), path);
        long strip;
        using (var h = File.OpenHandle(path)) strip = TiffFile.Read(h, path).Pages[2].Offsets[0];
        // Garbage inside page 2's zlib stream.
        var bytes = File.ReadAllBytes(path);
        bytes.AsSpan((int)strip + 10, 64).Fill(0xFF);
        File.WriteAllBytes(path, bytes);
        using var v = VolumeFormats.Open(path);
        // One page per read: EmVolume reads several chunks in parallel and would wrap the error.
        var e = Assert.Throws<CorruptDataException>(() => v.Read<ushort>(0, v.Bounds with { Z = 2, SizeZ = 1 }));
        Assert.Contains(path, e.Message);
        Assert.Contains("page 2 strip 0", e.Message);
    }

    [Theory]
    [InlineData(259, 7u, "JPEG (7)")]
    [InlineData(259, 50000u, "Zstandard (50000)")]
    [InlineData(262, 2u, "RGB")]
    [InlineData(339, 6u, "complex float")]
    [InlineData(258, 12u, "12 bits")]
    public void UnsupportedEncodingSaysWhatWasFoundAndWhatIsSupported(ushort tag, uint value, string found)
    {
        var (path, _) = WriteStack($"odd-{tag}-{value}.tif");
        TiffTestData.PatchFirstIfdValue(path, tag, value);
        var e = Assert.Throws<InvalidVolumeException>(() => VolumeFormats.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(found, e.Message);
        Assert.Matches("supported are|expected", e.Message);
    }

    [Fact]
    public void FolderWithMismatchingSliceNamesTheOddFile()
    {
        string folder = Path.Combine(_dir, "mixed");
        Directory.CreateDirectory(folder);
        using (var v = VolumeFormats.Create("tiff-folder", Path.Combine(_dir, "good"), new VolumeCreateOptions { DataType = DataType.UInt8, Shape = [3, 4, 4] }))
            v.Write<byte>(0, v.Bounds, new byte[48]);
        foreach (var f in Directory.GetFiles(Path.Combine(_dir, "good"))) File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        using (var v = VolumeFormats.Create("tiff-folder", Path.Combine(_dir, "odd"), new VolumeCreateOptions { DataType = DataType.UInt16, Shape = [1, 4, 4] }))
            v.Write<ushort>(0, v.Bounds, new ushort[16]);
        File.Copy(Path.Combine(_dir, "odd", "slice_0000.tif"), Path.Combine(folder, "slice_0010.tif"));

        var e = Assert.Throws<InvalidVolumeException>(() => VolumeFormats.Open(folder));
        Assert.Contains("slice_0010.tif", e.Message);
        Assert.Contains("uint16", e.Message);
        Assert.Contains("uint8", e.Message);
    }

    [Fact]
    public void FolderDetectionIgnoresOtherFormatsAndHiddenFiles()
    {
        var format = VolumeFormats.Get("tiff-folder");
        string folder = Path.Combine(_dir, "maybe");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, ".hidden.tif"), "x");
        Assert.False(format.CanOpen(folder));
        var (stack, _) = WriteStack("a.tif", DataType.UInt8, planes: 1);
        File.Copy(stack, Path.Combine(folder, "a.tif"));
        Assert.True(format.CanOpen(folder));
        File.WriteAllText(Path.Combine(folder, ".zarray"), "{}");
        Assert.False(format.CanOpen(folder));
    }

    [Fact]
    public void OpeningForWritingIsRefused()
    {
        var (path, _) = WriteStack("ro.tif");
        var e = Assert.Throws<EmAlignException>(() => VolumeFormats.Open(path, new VolumeOpenOptions { Writable = true }));
        Assert.Contains(path, e.Message);
    }
}

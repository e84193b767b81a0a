using System.Text.Json;
using EmAlign.Formats;
using EmAlign.Tests.Volumes;
using EmAlign.Volumes;

namespace EmAlign.Cli.Tests;

/// <summary>`emalign convert` into and out of each built-in format, skipped while a format is not registered in this build.</summary>
public sealed class RealFormatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("emalign-formats-").FullName;

    public RealFormatTests() => FolderTestFormat.Register();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    /// <summary>A uint16 volume of 70 x 45 x 5 voxels whose values encode their position.</summary>
    private string Source()
    {
        using var v = VolumeFormats.Create(FolderTestFormat.FormatName, PathOf("src"), new VolumeCreateOptions
        {
            DataType = DataType.UInt16,
            Shape = [5, 45, 70],
            VoxelSize = new VoxelSize(4, 4, 40),
        });
        var data = new ushort[5 * 45 * 70];
        for (int i = 0; i < data.Length; i++) data[i] = (ushort)(i * 37 % 65521);
        v.Write<ushort>(0, v.Bounds, data);
        return PathOf("src");
    }

    /// <summary>Converts to <paramref name="format"/> and back again, and checks the voxels and the reported path both ways.</summary>
    private void RoundTrip(string format, string destination, params string[] options)
    {
        var src = Source();
        var there = CliRun.Of(["convert", src, PathOf(destination), "--format", format, .. options]);
        Assert.True(there.ExitCode == 0, there.Err);
        Assert.Equal(PathOf(destination), JsonDocument.Parse(there.Out).RootElement.GetProperty("path").GetString());
        var info = CliRun.Of("info", PathOf(destination));
        Assert.True(info.ExitCode == 0, info.Err);
        Assert.Equal(format, JsonDocument.Parse(info.Out).RootElement.GetProperty("format").GetString());

        var back = CliRun.Of("convert", PathOf(destination), PathOf("back"), "--format", FolderTestFormat.FormatName);
        Assert.True(back.ExitCode == 0, back.Err);
        using var a = VolumeFormats.Open(src);
        using var b = VolumeFormats.Open(PathOf("back"));
        Assert.Equal(a.Bounds, b.Bounds);
        Assert.Equal(a.Read<ushort>(0, a.Bounds), b.Read<ushort>(0, b.Bounds));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(_dir, "*", SearchOption.AllDirectories), p => p.Contains(".partial-"));
    }

    [FormatFact("zarr2")]
    public void Zarr2WithZlibAndChunks() => RoundTrip("zarr2", "out.zarr", "--codec", "zlib", "--chunks", "2,16,32");

    [FormatFact("n5")]
    public void N5DatasetInsideAContainer() => RoundTrip("n5", Path.Combine("data.n5", "lowres"), "--codec", "gzip", "--chunks", "2,16,32");

    [FormatFact("tiff")]
    public void TiffFile() => RoundTrip("tiff", "out.tif");

    [FormatFact("tiff-folder")]
    public void TiffFolder() => RoundTrip("tiff-folder", "slices");
}

/// <summary>Skipped, with a reason, where the named format is not registered in this build.</summary>
public sealed class FormatFactAttribute : FactAttribute
{
    public FormatFactAttribute(string format)
    {
        if (!VolumeFormats.All.Any(f => f.Name == format)) Skip = $"the {format} format is not registered in this build";
    }
}

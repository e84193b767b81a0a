using System.Text.Json;
using EmAlign.Formats;
using EmAlign.Tests.Volumes;
using EmAlign.Volumes;

namespace EmAlign.Cli.Tests;

/// <summary>`emalign convert` into zarr3, ome-zarr and WEBKNOSSOS datasets, `emalign downsample`, and `info` on datasets.</summary>
public sealed class PyramidVerbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("emalign-pyramid-").FullName;

    public PyramidVerbTests() => FolderTestFormat.Register();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    /// <summary>A uint8 volume of 96 x 80 x 6 voxels of 4 x 4 x 40 nm.</summary>
    private string Source()
    {
        using var v = VolumeFormats.Create(FolderTestFormat.FormatName, PathOf("src"), new VolumeCreateOptions
        {
            DataType = DataType.UInt8, Shape = [6, 80, 96], VoxelSize = new VoxelSize(4, 4, 40),
        });
        var data = new byte[6 * 80 * 96];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(i * 13 % 251);
        v.Write<byte>(0, v.Bounds, data);
        return PathOf("src");
    }

    private static JsonElement Json(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.Err);
        return JsonDocument.Parse(run.Out).RootElement;
    }

    [Fact]
    public void ShardedZarr3RoundTripsAndOmeZarrGetsItsPyramid()
    {
        var src = Source();
        Json(CliRun.Of("convert", src, PathOf("s.zarr"), "--format", "zarr3", "--chunks", "2,32,32", "--shard", "6,64,64", "--codec", "gzip"));
        using (var a = VolumeFormats.Open(src))
        using (var b = VolumeFormats.Open(PathOf("s.zarr")))
        {
            Assert.Equal("zarr3", b.Format);
            Assert.Equal(a.Read<byte>(0, a.Bounds), b.Read<byte>(0, b.Bounds));
        }
        Json(CliRun.Of("convert", src, PathOf("o.zarr"), "--format", "ome-zarr"));
        var info = Json(CliRun.Of("info", PathOf("o.zarr")));
        Assert.Equal(["1-1-1", "2-2-1", "4-4-1"], info.GetProperty("levels").EnumerateArray().Select(l => l.GetProperty("mag").GetString()));
        // Nothing is missing, so downsample has nothing to do; with --force and a longer schedule it adds a level.
        Assert.Empty(Json(CliRun.Of("downsample", PathOf("o.zarr"))).GetProperty("mags").EnumerateArray());
        var d = Json(CliRun.Of("downsample", PathOf("o.zarr"), "--coarsest", "8", "--force"));
        Assert.Equal(["2-2-1", "4-4-1", "8-8-1"], d.GetProperty("mags").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("mean", d.GetProperty("filter").GetString());
    }

    [Fact]
    public void WebKnossosLayersAreAddedAndListedByInfo()
    {
        var src = Source();
        var r = Json(CliRun.Of("convert", src, PathOf("ds"), "--format", "webknossos", "--out-layer", "raw", "--levels", "none"));
        Assert.Equal("raw", r.GetProperty("layer").GetString());
        var seg = Json(CliRun.Of("convert", src, PathOf("ds"), "--format", "webknossos", "--out-layer", "seg", "--category", "segmentation", "--data-format", "wkw"));
        Assert.Equal(["1-1-1", "2-2-1", "4-4-1"], seg.GetProperty("mags").EnumerateArray().Select(m => m.GetString()));

        var d = Json(CliRun.Of("downsample", PathOf("ds"), "--layer", "raw", "--levels", "2-2-1"));
        Assert.Equal(["2-2-1"], d.GetProperty("mags").EnumerateArray().Select(m => m.GetString()));
        var info = Json(CliRun.Of("info", PathOf("ds"), "--layer", "seg"));
        Assert.Equal("webknossos", info.GetProperty("format").GetString());
        var layers = info.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(["raw", "seg"], layers.Select(l => l.GetProperty("name").GetString()));
        Assert.Equal("wkw", layers[1].GetProperty("data_format").GetString());
        Assert.Equal(2, layers[0].GetProperty("mags").GetArrayLength());
        Assert.All(layers.SelectMany(l => l.GetProperty("mags").EnumerateArray()), m => Assert.True(m.GetProperty("present").GetBoolean()));

        var again = CliRun.Of("convert", src, PathOf("ds"), "--format", "webknossos", "--out-layer", "raw");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("--force", again.Err);
        Assert.Equal(2, CliRun.Of("downsample", PathOf("ds"), "--levels", "2-2-x").ExitCode);
    }
}

using System.Text.Json;
using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Tests.Volumes;
using EmAlign.Volumes;

namespace EmAlign.Cli.Tests;

public sealed class VerbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("emalign-cli-").FullName;

    public VerbTests() => FolderTestFormat.Register();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    /// <summary>A uint16 volume 50 x 40 x 6 with a level 2-2-1; tissue (textured, bright) in x 10..40, y 5..30, z 1..5.</summary>
    private string MakeVolume(string name = "src", bool blank = false)
    {
        using var v = VolumeFormats.Create(FolderTestFormat.FormatName, PathOf(name), new VolumeCreateOptions
        {
            DataType = DataType.UInt16,
            Shape = [6, 40, 50],
            ChunkShape = [2, 16, 16],
            VoxelSize = new VoxelSize(4, 5, 40),
            ExtraMags = [new Mag(2, 2, 1)],
        });
        var data = new ushort[6 * 40 * 50];
        if (!blank)
            for (int z = 1; z < 5; z++)
                for (int y = 5; y < 30; y++)
                    for (int x = 10; x < 40; x++) data[(z * 40 + y) * 50 + x] = (ushort)(1000 + (x * 13 + y * 7 + z) % 300);
        v.Write<ushort>(0, v.Bounds, data);
        // Level 2-2-1 by subsampling (the test format stores levels; it does not compute them).
        var coarse = new ushort[6 * 20 * 25];
        for (int z = 0; z < 6; z++)
            for (int y = 0; y < 20; y++)
                for (int x = 0; x < 25; x++) coarse[(z * 20 + y) * 25 + x] = data[(z * 40 + 2 * y) * 50 + 2 * x];
        v.Write<ushort>(1, v.Levels[1].Bounds, coarse);
        return PathOf(name);
    }

    private static JsonElement Json(CliRun r)
    {
        Assert.True(r.ExitCode == 0, r.Err);
        return JsonDocument.Parse(r.Out).RootElement;
    }

    private static long[] Longs(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetInt64())];

    [Fact]
    public void InfoPrintsMetadataInCOrder()
    {
        var path = MakeVolume();
        var j = Json(CliRun.Of("info", path));
        Assert.Equal(["path", "format", "dtype", "shape", "chunks", "voxel_size", "unit", "levels"], j.EnumerateObject().Select(p => p.Name));
        Assert.Equal(path, j.GetProperty("path").GetString());
        Assert.Equal("test-folder", j.GetProperty("format").GetString());
        Assert.Equal("uint16", j.GetProperty("dtype").GetString());
        Assert.Equal([6L, 40, 50], Longs(j.GetProperty("shape")));
        Assert.Equal([2L, 16, 16], Longs(j.GetProperty("chunks")));
        Assert.Equal([40.0, 5, 4], j.GetProperty("voxel_size").EnumerateArray().Select(x => x.GetDouble()));
        Assert.Equal("nanometer", j.GetProperty("unit").GetString());
        var levels = j.GetProperty("levels").EnumerateArray().ToList();
        Assert.Equal(["1-1-1", "2-2-1"], levels.Select(l => l.GetProperty("mag").GetString()));
        Assert.Equal([6L, 20, 25], Longs(levels[1].GetProperty("shape")));
        Assert.Equal([2L, 16, 16], Longs(levels[1].GetProperty("chunks")));
    }

    [Fact]
    public void AMissingPathFailsWithExit1NamingThePath()
    {
        var missing = PathOf("no-such.zarr");
        foreach (var args in new[] { new[] { "info", missing }, ["bbox", missing], ["convert", missing, PathOf("out"), "--format", "test-folder"] })
        {
            var r = CliRun.Of(args);
            Assert.Equal(1, r.ExitCode);
            Assert.StartsWith("emalign: error: ", r.Err);
            Assert.Contains(missing, r.Err);
            Assert.DoesNotContain("usage:", r.Err);
            Assert.Empty(r.Out);
        }
        Assert.False(Directory.Exists(PathOf("out")));
    }

    [Fact]
    public void ConvertRoundTripsVoxelsAndReportsTheCopy()
    {
        var src = MakeVolume();
        var dst = PathOf("dst");
        var r = CliRun.Of("convert", src, dst, "--format", "test-folder", "--chunks", "3,8,8");
        var j = Json(r);
        Assert.Equal(dst, j.GetProperty("path").GetString());
        Assert.Equal("uint16", j.GetProperty("dtype").GetString());
        Assert.Equal(50 * 40 * 6 * 2, j.GetProperty("bytes").GetInt64());
        var box = j.GetProperty("box");
        Assert.Equal([0L, 0, 0, 50, 40, 6], new[] { "x", "y", "z", "size_x", "size_y", "size_z" }.Select(k => box.GetProperty(k).GetInt64()));

        using var a = VolumeFormats.Open(src);
        using var b = VolumeFormats.Open(dst);
        Assert.Equal([3, 8, 8], b.Levels[0].Array.ChunkShape);
        Assert.Equal(a.Read<ushort>(0, a.Bounds), b.Read<ushort>(0, b.Bounds));
        // Redirected stderr: plain progress lines, the last one complete.
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.Matches(@"^Copying .*: \d+/\d+$", l));
        Assert.Matches(@": (\d+)/\1$", lines[^1]);
    }

    [Fact]
    public void ConvertCopiesACoarserLevel()
    {
        var src = MakeVolume();
        Json(CliRun.Of("convert", src, PathOf("half"), "--format", "test-folder", "--level", "1"));
        var j = Json(CliRun.Of("info", PathOf("half")));
        Assert.Equal([6L, 20, 25], Longs(j.GetProperty("shape")));
        Assert.Equal([40.0, 10, 8], j.GetProperty("voxel_size").EnumerateArray().Select(x => x.GetDouble()));
        var r = CliRun.Of("convert", src, PathOf("none"), "--format", "test-folder", "--level", "2");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("Level 2 does not exist", r.Err);
    }

    [Fact]
    public void ConvertReplacesAnExistingOutputOnlyWithForce()
    {
        var src = MakeVolume();
        var dst = PathOf("dst");
        Json(CliRun.Of("convert", src, dst, "--format", "test-folder", "--level", "1"));

        var refused = CliRun.Of("convert", src, dst, "--format", "test-folder");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"'{dst}' already exists", refused.Err);
        Assert.Contains("--force", refused.Err);
        Assert.Equal([6L, 20, 25], Longs(Json(CliRun.Of("info", dst)).GetProperty("shape")));

        Json(CliRun.Of("convert", src, dst, "--format", "test-folder", "--force"));
        Assert.Equal([6L, 40, 50], Longs(Json(CliRun.Of("info", dst)).GetProperty("shape")));
        Assert.Equal(["dst", "src"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void CancellationExitsWith1AndLeavesNothing()
    {
        var src = MakeVolume();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var r = CliRun.With(cts.Token, false, "convert", src, PathOf("dst"), "--format", "test-folder");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("emalign: cancelled", r.Err);
        Assert.Equal(["src"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void BboxPrintsTheDataBoxInMag1Voxels()
    {
        var path = MakeVolume();
        var j = Json(CliRun.Of("bbox", path, "--level", "0", "--sigma", "0.5", "--dilations", "0"));
        Assert.Equal(["x", "y", "z", "size_x", "size_y", "size_z"], j.EnumerateObject().Select(p => p.Name));
        Assert.Equal([10L, 5, 1, 30, 25, 4], j.EnumerateObject().Select(p => p.Value.GetInt64()));

        // On the 2-2-1 level (tissue in coarse x 5..20, y 3..15, as subsampled) the box is scaled back to mag 1.
        var coarse = Json(CliRun.Of("bbox", path, "--level", "1", "--sigma", "0.5", "--dilations", "0"));
        var box = new Box3(coarse.GetProperty("x").GetInt64(), coarse.GetProperty("y").GetInt64(), coarse.GetProperty("z").GetInt64(),
            coarse.GetProperty("size_x").GetInt64(), coarse.GetProperty("size_y").GetInt64(), coarse.GetProperty("size_z").GetInt64());
        Assert.Equal(new Box3(10, 6, 1, 30, 24, 4), box);
    }

    [Fact]
    public void BboxOfABlankVolumeFailsAndABadLevelIsNamed()
    {
        var blank = MakeVolume("blank", blank: true);
        var r = CliRun.Of("bbox", blank);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("holds no data", r.Err);
        Assert.Contains(blank, r.Err);

        var bad = CliRun.Of("bbox", MakeVolume(), "--level", "7");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("Level 7 does not exist", bad.Err);
    }

    [ZarrFact]
    public void DemoRunsEndToEnd()
    {
        var r = CliRun.Of("demo", "--out", PathOf("demo"));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("Data bounding box", r.Out);
        Assert.True(File.Exists(PathOf("demo/ground-truth.json")));
        var raw = Json(CliRun.Of("info", PathOf("demo/raw.zarr")));
        Assert.Equal(Longs(raw.GetProperty("shape")), Longs(Json(CliRun.Of("info", PathOf("demo/aligned.zarr"))).GetProperty("shape")));
        // The residual against the known deformations: shifts of several pixels before, well under 2 px after.
        var m = System.Text.RegularExpressions.Regex.Match(r.Out, @"median ([\d.]+) px, p95 ([\d.]+) px before alignment; median ([\d.]+) px, p95 ([\d.]+) px after");
        Assert.True(m.Success, r.Out);
        double Value(int g) => double.Parse(m.Groups[g].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Value(1) > 3, $"before: median {Value(1)} px");
        Assert.True(Value(3) < 1 && Value(4) < 2, $"after: median {Value(3)} px, p95 {Value(4)} px");
    }
}

/// <summary>Skipped, with a reason, until a "zarr2" format is registered (the demo writes Zarr v2).</summary>
public sealed class ZarrFactAttribute : FactAttribute
{
    public ZarrFactAttribute()
    {
        if (!VolumeFormats.All.Any(f => f.Name == "zarr2")) Skip = "no zarr2 format is registered in this build (the demo writes Zarr v2)";
    }
}

using System.Text.Json;
using EmAlign.Features;
using EmAlign.Formats;
using EmAlign.Transforms;
using EmAlign.Volumes;

namespace EmAlign.Cli.Tests;

/// <summary>`emalign affine` and `emalign warp` on a small blob pair in Zarr under a known affine.</summary>
public sealed class FeatureVerbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("emalign-cli-features-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>48 x 48 x 24 um at 0.4 x 0.4 x 1.0 um (micrometres in the metadata).</summary>
    private static readonly VoxelGrid Grid = new(120, 120, 24, 0.4, 0.4, 1.0, 0, 0, 0, "micrometer");

    private static readonly AffineTransform3D Truth = SyntheticBlobs.KnownAffine(Grid, rotZ: 4, rotX: 0, scale: (1.02, 0.99, 1), shearXY: 0.01, translation: (1.6, -1.2, 0.4));

    private string Write(string name, float[] values)
    {
        string path = Path.Combine(_dir, name);
        using var v = VolumeFormats.Create("zarr2", path, new VolumeCreateOptions
        {
            DataType = DataType.UInt16, Shape = [Grid.SizeZ, Grid.SizeY, Grid.SizeX], ChunkShape = [12, 64, 64],
            VoxelSize = new VoxelSize(Grid.SpacingX, Grid.SpacingY, Grid.SpacingZ, Grid.Unit),
        });
        var bytes = new byte[values.Length * 2];
        VoxelConvert.FromSingle(values, DataType.UInt16, bytes);
        v.Write(0, v.Bounds, bytes);
        return path;
    }

    private (string Fixed, string Moving) Pair()
    {
        var blobs = SyntheticBlobs.RandomBlobs(Grid, 250, 1.2, 2.0, seed: 5);
        return (Write("fix.zarr", SyntheticBlobs.Render(Grid, blobs, AffineTransform3D.Identity(Grid.Unit), 20, 6)),
            Write("mov.zarr", SyntheticBlobs.Render(Grid, blobs, Truth, 20, 7)));
    }

    private static readonly string[] SmallBlobs =
        ["--min-radius", "4", "--max-radius", "12", "--cc-radius", "8", "--align-threshold", "1", "--min-spots", "20", "--min-matches", "12"];

    [Fact]
    public void AffinePrintsAndWritesMatrixXyzThatWarpApplies()
    {
        var (fix, mov) = Pair();
        string json = Path.Combine(_dir, "a.json");
        var r = CliRun.Of(["affine", fix, mov, .. SmallBlobs, "--seed", "3", "--out", json]);
        Assert.True(r.ExitCode == 0, r.Err);
        var j = JsonDocument.Parse(r.Out).RootElement;
        Assert.Equal(["type", "direction", "axes", "unit", "matrix_xyz", "fixed_spots", "moving_spots", "matches", "inliers", "rms_residual", "seconds"],
            j.EnumerateObject().Select(p => p.Name));
        Assert.Equal("micrometer", j.GetProperty("unit").GetString());
        Assert.True(j.GetProperty("inliers").GetInt32() >= 12);
        Assert.Equal(r.Out.Trim(), File.ReadAllText(json).Trim());
        var found = Assert.IsType<AffineTransform3D>(TransformFile.Load(json));
        Assert.True(TransformDistance.Measure(found, Truth, Grid).Mean < 0.2);
        Assert.Equal(1, j.GetProperty("matrix_xyz")[3][3].GetDouble());

        // The same run again refuses to replace the file without --force.
        var again = CliRun.Of(["affine", fix, mov, .. SmallBlobs, "--out", json]);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already exists", again.Err);

        // warp: the moving volume on the fixed grid through the found transform looks like the fixed volume.
        string dst = Path.Combine(_dir, "warped.zarr");
        var w = CliRun.Of("warp", mov, dst, "--like", fix, "--transform", json, "--interpolation", "cubic");
        Assert.True(w.ExitCode == 0, w.Err);
        var wj = JsonDocument.Parse(w.Out).RootElement;
        Assert.Equal("zarr2", wj.GetProperty("format").GetString());
        Assert.Equal("uint16", wj.GetProperty("dtype").GetString());
        using var fixedVolume = VolumeFormats.Open(fix);
        using var movingVolume = VolumeFormats.Open(mov);
        using var warped = VolumeFormats.Open(dst);
        double before = Correlation(fixedVolume.ReadSingle(0, fixedVolume.Bounds), movingVolume.ReadSingle(0, movingVolume.Bounds));
        double after = Correlation(fixedVolume.ReadSingle(0, fixedVolume.Bounds), warped.ReadSingle(0, warped.Bounds));
        Assert.True(after > 0.9 && after > before + 0.2, $"correlation {before:0.000} before, {after:0.000} after");
    }

    [Fact]
    public void WarpChainsTransformsInTheOrderGiven()
    {
        var (fix, mov) = Pair();
        // Split the truth into two: truth = first ∘ second, second acting first on fixed points.
        var second = AffineTransform3D.Shift(1.2, -0.8, 0.2, "micrometer");
        var first = Truth.After(second.Inverse());
        string a = Path.Combine(_dir, "first.json"), b = Path.Combine(_dir, "second.json");
        TransformFile.Save(first, a);
        TransformFile.Save(second.InUnitAffine("nanometer"), b);
        string chained = Path.Combine(_dir, "chained.zarr"), direct = Path.Combine(_dir, "direct.zarr");
        string truthFile = Path.Combine(_dir, "truth.json");
        TransformFile.Save(Truth, truthFile);
        Assert.Equal(0, CliRun.Of("warp", mov, chained, "--like", fix, "--transform", a, "--transform", b).ExitCode);
        Assert.Equal(0, CliRun.Of("warp", mov, direct, "--like", fix, "--transform", truthFile).ExitCode);
        using var c = VolumeFormats.Open(chained);
        using var d = VolumeFormats.Open(direct);
        Assert.Equal(d.Read<ushort>(0, d.Bounds), c.Read<ushort>(0, c.Bounds));
    }

    [Fact]
    public void PiecewiseAffinePrintsLocalAffines()
    {
        var (fix, mov) = Pair();
        var r = CliRun.Of(["affine", fix, mov, .. SmallBlobs, "--block-size", "60,60,24"]);
        Assert.True(r.ExitCode == 0, r.Err);
        var j = JsonDocument.Parse(r.Out).RootElement;
        Assert.Equal("local_affines", j.GetProperty("type").GetString());
        Assert.Equal([2, 2, 1], j.GetProperty("blocks").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(4, j.GetProperty("matrices_xyz").GetArrayLength());
        Assert.True(j.GetProperty("estimated_blocks").GetInt32() >= 3);
    }

    [Fact]
    public void FailuresAndBadUsageSayWhy()
    {
        var (fix, _) = Pair();
        string blank = Write("blank.zarr", new float[Grid.VoxelCount]);
        var r = CliRun.Of(["affine", fix, blank, .. SmallBlobs]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("The moving image has 0 spots", r.Err);
        Assert.Contains("missing --transform", CliRun.Of("warp", fix, Path.Combine(_dir, "o.zarr"), "--like", fix).Err);
        Assert.Contains("missing --like", CliRun.Of("warp", fix, Path.Combine(_dir, "o.zarr"), "--transform", "t.json").Err);
        Assert.Contains("--overlap needs --block-size", CliRun.Of("affine", fix, fix, "--overlap", "0.25").Err);
        var bad = CliRun.Of("affine", fix, fix, "--min-radius", "8", "--max-radius", "8");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("expected 0 < min radius < max radius", bad.Err);
        Assert.StartsWith("usage: emalign affine", CliRun.Of("affine", "--help").Out);
        Assert.StartsWith("usage: emalign warp", CliRun.Of("warp", "--help").Out);
    }

    [Fact]
    public void TheTutorialFlowFitsAtLowResolutionAndRendersAtHighResolution()
    {
        // fix.n5 and mov.n5 each hold "highres" (0.4 x 0.4 x 0.8 um) and "lowres" (twice coarser), rendered from one
        // blob model; the moving pair sits under a known affine. Fits use lowres, the render uses highres.
        var high = new VoxelGrid(192, 192, 40, 0.4, 0.4, 0.8, 0, 0, 0, "micrometer");
        var low = new VoxelGrid(96, 96, 20, 0.8, 0.8, 1.6, 0, 0, 0, "micrometer");
        var truth = SyntheticBlobs.KnownAffine(high, rotZ: 3, rotX: 0, scale: (1.02, 0.99, 1), shearXY: 0.01, translation: (1.5, -1.0, 0.6));
        var blobs = SyntheticBlobs.RandomBlobs(high, 500, 1.5, 2.5, seed: 8);
        var identity = AffineTransform3D.Identity("micrometer");
        string fix = Path.Combine(_dir, "fix.n5"), mov = Path.Combine(_dir, "mov.n5");
        foreach (var (container, t, seed) in new[] { (fix, identity, 10), (mov, truth, 20) })
            foreach (var (name, grid) in new[] { ("highres", high), ("lowres", low) })
            {
                using var v = VolumeFormats.Create("n5", Path.Combine(container, name), new VolumeCreateOptions
                {
                    DataType = DataType.UInt16, Shape = [grid.SizeZ, grid.SizeY, grid.SizeX], ChunkShape = [20, 64, 64], Codec = "gzip",
                    VoxelSize = new VoxelSize(grid.SpacingX, grid.SpacingY, grid.SpacingZ, grid.Unit),
                });
                var bytes = new byte[grid.VoxelCount * 2];
                VoxelConvert.FromSingle(SyntheticBlobs.Render(grid, blobs, t, 20, seed + (int)grid.SizeX), DataType.UInt16, bytes);
                v.Write(0, v.Bounds, bytes);
            }
        string[] small = ["--min-radius", "3", "--max-radius", "8", "--cc-radius", "6", "--align-threshold", "1", "--min-spots", "20", "--min-matches", "12"];
        string global = Path.Combine(_dir, "global.json"), local = Path.Combine(_dir, "local.json"), dest = Path.Combine(_dir, "aligned.zarr");
        var g = CliRun.Of(["affine", fix + "/lowres", mov + "/lowres", .. small, "--out", global]);
        Assert.True(g.ExitCode == 0, g.Err);
        var l = CliRun.Of(["affine", fix + "/lowres", mov + "/lowres", .. small, "--block-size", "48,48,20", "--initial", global, "--out", local]);
        Assert.True(l.ExitCode == 0, l.Err);
        var w = CliRun.Of("warp", mov + "/highres", dest, "--like", fix + "/highres", "--transform", global, "--transform", local);
        Assert.True(w.ExitCode == 0, w.Err);

        var chain = new TransformChain([TransformFile.Load(global), TransformFile.Load(local)]);
        var error = TransformDistance.Measure(chain, truth, high);
        Assert.True(error.Mean < 0.5, $"high-resolution voxels: {error}");
        using var f = VolumeFormats.Open(fix + "/highres");
        using var a = VolumeFormats.Open(dest);
        Assert.Equal(f.Bounds, a.Bounds);
        double r = Correlation(f.ReadSingle(0, f.Bounds), a.ReadSingle(0, a.Bounds));
        Assert.True(r > 0.9, $"correlation with the fixed volume {r:0.000}");
    }

    private static double Correlation(float[] a, float[] b)
    {
        double ma = a.Average(), mb = b.Average(), ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++) { ab += (a[i] - ma) * (b[i] - mb); aa += (a[i] - ma) * (a[i] - ma); bb += (b[i] - mb) * (b[i] - mb); }
        return ab / Math.Sqrt(aa * bb);
    }
}

using System.Text.Json;
using EmAlign.Alignment;
using EmAlign.Demo;
using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Cli.Tests;

/// <summary>A small synthetic stack with known deformations (4 sections of 256 px tissue on a 320 px canvas) as Zarr v2, written once.</summary>
public sealed class DemoStackFixture : IDisposable
{
    public DemoStackFixture()
    {
        Dir = Directory.CreateTempSubdirectory("emalign-cli-align-").FullName;
        Raw = Write("raw.zarr", blankSection: null);
        WithBlankSection = Write("blank2.zarr", blankSection: 2);
    }

    public string Dir { get; }

    public string Raw { get; }

    /// <summary>The same stack with section 2 blank (a lost section).</summary>
    public string WithBlankSection { get; }

    private string Write(string name, int? blankSection)
    {
        var demo = new DemoStack(sections: 4, tissueSize: 256, border: 32);
        string path = Path.Combine(Dir, name);
        using var v = VolumeFormats.Create("zarr2", path, new VolumeCreateOptions
        {
            DataType = DataType.UInt8,
            Shape = [demo.Sections, demo.CanvasSize, demo.CanvasSize],
            ChunkShape = [1, 160, 160],
        });
        demo.WriteTo(v);
        if (blankSection is { } z) v.Write<byte>(0, new Box3(0, 0, z, demo.CanvasSize, demo.CanvasSize, 1), new byte[demo.CanvasSize * demo.CanvasSize]);
        v.Flush();
        return path;
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

public sealed class AlignmentVerbTests(DemoStackFixture stack) : IClassFixture<DemoStackFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("emalign-cli-").FullName;

    // Smaller patches than SOFIMA's 160 keep the runs short on 320 px sections.
    private static readonly string[] Fast = ["--patch", "96", "--stride", "32"];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static JsonElement Json(CliRun r)
    {
        Assert.True(r.ExitCode == 0, r.Err);
        return JsonDocument.Parse(r.Out).RootElement;
    }

    private static long[] Shape(string path)
    {
        using var v = VolumeFormats.Open(path);
        return [.. v.Levels[0].Array.Shape];
    }

    [ZarrFact]
    public void FlowSavesTheMeasuredFlowsAndReplacesThemOnlyWithForce()
    {
        var dst = PathOf("flows");
        var j = Json(CliRun.Of(["flow", stack.Raw, dst, .. Fast, "--levels", "1,2"]));
        Assert.Equal(["path", "source", "sections", "factors", "patch_size", "stride", "delta_z", "valid_vectors", "seconds"], j.EnumerateObject().Select(p => p.Name));
        Assert.Equal(dst, j.GetProperty("path").GetString());
        Assert.Equal(stack.Raw, j.GetProperty("source").GetString());
        Assert.Equal(4, j.GetProperty("sections").GetInt32());
        Assert.Equal([1, 2], j.GetProperty("factors").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([0, 1, 1, 1], j.GetProperty("delta_z").EnumerateArray().Select(e => e.GetInt32()));

        var flows = AlignmentStore.LoadFlows(dst);
        Assert.Equal(FlowSetState.Measured, flows.State);
        Assert.Equal((96, 32, 4), (flows.PatchSize, flows.Stride, flows.Sections));
        Assert.Null(flows.GetFlow(0, 0));
        Assert.Equal(4, flows.GetFlow(0, 1)!.Channels);
        var valid = j.GetProperty("valid_vectors").EnumerateArray().Select(e => e.GetInt32()).ToList();
        Assert.Equal(Enumerable.Range(0, 4).Select(z => flows.ValidCount(0, z)), valid);
        Assert.All(valid.Skip(1), v => Assert.True(v > 20, $"{v} flow vectors on 256 px of tissue"));

        var refused = CliRun.Of(["flow", stack.Raw, dst, .. Fast, "--levels", "2"]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"'{dst}' already exists", refused.Err);
        Assert.Equal([1, 2], AlignmentStore.LoadFlows(dst).Factors);
        Json(CliRun.Of(["flow", stack.Raw, dst, .. Fast, "--levels", "2", "--force"]));
        Assert.Equal([2], AlignmentStore.LoadFlows(dst).Factors);
        Assert.Equal(["flows"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName));
    }

    [ZarrFact]
    public void AlignElasticKeepsTheInputShapeAndWritesAQualityReport()
    {
        var dst = PathOf("aligned.zarr");
        var report = PathOf("report.json");
        var r = CliRun.Of(["align-elastic", stack.Raw, dst, .. Fast, "--codec", "zlib", "--report", report]);
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Matches(@"^aligned 4 sections -> .*aligned\.zarr \(zarr2, 320 x 320 x 4\): worst residual p95 \d+\.\d\d px, 0 flagged, \d+\.\d s$", r.Out.Trim());
        Assert.DoesNotContain("warning", r.Err);
        Assert.Equal(Shape(stack.Raw), Shape(dst));

        var j = JsonDocument.Parse(File.ReadAllText(report)).RootElement;
        Assert.Equal(["source", "path", "format", "box", "flagged_sections", "seconds", "sections"], j.EnumerateObject().Select(p => p.Name));
        Assert.Equal(dst, j.GetProperty("path").GetString());
        Assert.Equal(0, j.GetProperty("flagged_sections").GetInt32());
        var sections = j.GetProperty("sections").EnumerateArray().ToList();
        Assert.Equal(4, sections.Count);
        Assert.All(sections, s => Assert.Equal(
            ["z", "delta_z", "flow_vectors", "residual_median", "residual_p95", "ncc_before", "ncc_after", "status"], s.EnumerateObject().Select(p => p.Name)));
        Assert.Equal(["reference", "ok", "ok", "ok"], sections.Select(s => s.GetProperty("status").GetString()));
        Assert.Equal(JsonValueKind.Null, sections[0].GetProperty("ncc_before").ValueKind);
        foreach (var s in sections.Skip(1))
        {
            Assert.True(s.GetProperty("flow_vectors").GetInt32() > 10);
            Assert.InRange(s.GetProperty("residual_p95").GetDouble(), 0, 2);
            // Aligned neighbours correlate better than the deformed ones did.
            Assert.True(s.GetProperty("ncc_after").GetDouble() > s.GetProperty("ncc_before").GetDouble());
        }

        // Existing outputs: refused (DST or report) until --force; --bbox --crop writes only the data box.
        var refused = CliRun.Of(["align-elastic", stack.Raw, PathOf("other.zarr"), .. Fast, "--report", report]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("report.json' already exists", refused.Err);
        Assert.False(Directory.Exists(PathOf("other.zarr")));
        Assert.Equal(1, CliRun.Of(["align-elastic", stack.Raw, dst, .. Fast]).ExitCode);
        var cropped = CliRun.Of(["align-elastic", stack.Raw, dst, .. Fast, "--bbox", "--crop", "--force", "--format", "n5", "--interpolation", "linear"]);
        Assert.True(cropped.ExitCode == 0, cropped.Err);
        var shape = Shape(dst);
        Assert.Equal(4, shape[0]);
        // The tissue (256 px, placed at 32, moved by up to 12 px) without most of the black border.
        Assert.True(shape[1] is > 240 and < 300 && shape[2] is > 240 and < 300, $"cropped to {string.Join(" x ", shape)}");
        Assert.Equal(["aligned.zarr", "report.json"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName).Order());
    }

    [ZarrFact]
    public void MeshSpringConstantsSetHowCloselyTheMeshFollowsTheFlows()
    {
        double MeanResidual(params string[] springs)
        {
            var report = PathOf($"report{string.Join("", springs)}.json");
            var r = CliRun.Of(["align-elastic", stack.Raw, PathOf($"aligned{string.Join("", springs)}.zarr"), .. Fast, "--refine", "0", "--report", report, .. springs]);
            Assert.True(r.ExitCode == 0, r.Err);
            return JsonDocument.Parse(File.ReadAllText(report)).RootElement.GetProperty("sections").EnumerateArray().Skip(1)
                .Average(s => s.GetProperty("residual_median").GetDouble());
        }
        double stiff = MeanResidual(), tethered = MeanResidual("--k0", "1"), stiffer = MeanResidual("--k", "1");
        // The residual is the distance of each node from its flow target: a stronger tether shortens it, stiffer springs lengthen it.
        Assert.True(tethered < 0.5 * stiff, $"residual median {tethered:0.000} px with --k0 1, {stiff:0.000} px with the defaults");
        Assert.True(stiffer > stiff, $"residual median {stiffer:0.000} px with --k 1, {stiff:0.000} px with the defaults");
    }

    [ZarrFact]
    public void ALostSectionIsBridgedAndFlaggedOnStderrWithExit0()
    {
        var report = PathOf("report.json");
        var r = CliRun.Of(["align-elastic", stack.WithBlankSection, PathOf("aligned.zarr"), .. Fast, "--report", report]);
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("emalign: warning: section 2: few-flow-vectors", r.Err);
        Assert.Contains("emalign: warning: section 3: ok-skipped-previous", r.Err);
        Assert.Contains(" 2 flagged", r.Out);
        var sections = JsonDocument.Parse(File.ReadAllText(report)).RootElement.GetProperty("sections").EnumerateArray().ToList();
        Assert.Equal(2, sections[3].GetProperty("delta_z").GetInt32());
        Assert.True(sections[3].GetProperty("flow_vectors").GetInt32() > 10);
    }

    [ZarrFact]
    public void MissingInputsFailWith1AndCancellationLeavesNothing()
    {
        var missing = PathOf("no-such.zarr");
        foreach (var verb in new[] { "flow", "align-elastic" })
        {
            var r = CliRun.Of(verb, missing, PathOf("out"));
            Assert.Equal(1, r.ExitCode);
            Assert.Contains(missing, r.Err);
            Assert.DoesNotContain("usage:", r.Err);

            using var cts = new CancellationTokenSource();
            cts.Cancel();
            var cancelled = CliRun.With(cts.Token, false, verb, stack.Raw, PathOf("out"));
            Assert.Equal(1, cancelled.ExitCode);
            Assert.Contains("emalign: cancelled", cancelled.Err);
        }
        var level = CliRun.Of("align-elastic", stack.Raw, PathOf("out"), "--level", "3");
        Assert.Equal(1, level.ExitCode);
        Assert.Contains("Level 3 does not exist", level.Err);
        var refine = CliRun.Of("align-elastic", stack.Raw, PathOf("out"), "--refine", "9");
        Assert.Equal(1, refine.ExitCode);
        Assert.Contains("RefinePasses 9 is not valid", refine.Err);
        var stride = CliRun.Of("flow", stack.Raw, PathOf("out"), "--stride", "200");
        Assert.Equal(1, stride.ExitCode);
        Assert.Contains("Stride 200 is not valid", stride.Err);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }
}

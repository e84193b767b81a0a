using System.Text.Json;
using EmAlign.Alignment;
using EmAlign.Demo;
using EmAlign.Diagnostics;
using EmAlign.Flow;
using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Maps;
using EmAlign.Mesh;
using EmAlign.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.Tests.Alignment;

public sealed class AlignmentStoreTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly StackRegion Region = new("/data/raw.zarr", 1, new Mag(2, 2, 1), new Box3(40, 80, 3, 200, 160, 3), 40);

    /// <summary>Values with NaN and negative zero mixed in, so a lossy store would show.</summary>
    private static float[] Values(int n, int seed)
    {
        var rng = new Random(seed);
        var data = new float[n];
        for (int i = 0; i < n; i++) data[i] = i % 7 == 3 ? float.NaN : i % 11 == 5 ? -0f : (float)(rng.NextDouble() * 200 - 100);
        return data;
    }

    private static FlowFieldSet HandMadeFlows()
    {
        FlowField?[] Level(int w, int h, FlowLayout layout, int origin, int seed) =>
            [null, .. Enumerable.Range(1, 2).Select(z => new FlowField(w, h, 40, layout, origin, origin, 160, 200, Values((int)layout * w * h, seed + z)))];
        return new FlowFieldSet(Region, 160, [1, 2], [Level(5, 4, FlowLayout.VectorsStats, 0, 1), Level(3, 2, FlowLayout.VectorsStats, 20, 9)],
            [0, 1, 2], [double.NaN, 0.123456789012345, -0.5], FlowSetState.Measured);
    }

    private static void AssertSameFlows(FlowFieldSet a, FlowFieldSet b)
    {
        Assert.Equal(a.Region, b.Region);
        Assert.Equal(a.PatchSize, b.PatchSize);
        Assert.Equal(a.Factors, b.Factors);
        Assert.Equal(a.State, b.State);
        Assert.Equal(a.DeltaZ, b.DeltaZ);
        Assert.Equal(Bits(a.NccBefore), Bits(b.NccBefore));
        for (int l = 0; l < a.Factors.Count; l++)
            for (int z = 0; z < a.Sections; z++)
            {
                var fa = a.GetFlow(l, z);
                var fb = b.GetFlow(l, z);
                if (fa is null) { Assert.Null(fb); continue; }
                Assert.NotNull(fb);
                Assert.True(fa.SameGrid(fb));
                Assert.Equal((fa.Layout, fa.PatchSize, fa.PostPatchSize), (fb.Layout, fb.PatchSize, fb.PostPatchSize));
                Assert.Equal(Bits(fa.Data), Bits(fb.Data));
            }
    }

    private static void AssertSameSolution(MeshSolution a, MeshSolution b)
    {
        Assert.Equal(a.Region, b.Region);
        foreach (var (ma, mb) in new[] { (a.Forward, b.Forward), (a.Inverse, b.Inverse) })
        {
            Assert.Equal(ma.Box, mb.Box);
            Assert.Equal((ma.StrideX, ma.StrideY), (mb.StrideX, mb.StrideY));
            Assert.Equal(Bits(ma.Data), Bits(mb.Data));
        }
        Assert.Equal(a.Residuals.Count, b.Residuals.Count);
        for (int z = 0; z < a.Residuals.Count; z++)
        {
            var (ra, rb) = (a.Residuals[z], b.Residuals[z]);
            Assert.Equal((ra.Z, ra.DeltaZ, ra.ValidVectors, ra.Status), (rb.Z, rb.DeltaZ, rb.ValidVectors, rb.Status));
            Assert.Equal(Bits([ra.Median, ra.P95, ra.Max]), Bits([rb.Median, rb.P95, rb.Max]));
        }
        Assert.Equal(Bits(a.NccBefore), Bits(b.NccBefore));
    }

    private static int[] Bits(float[] v) => [.. v.Select(BitConverter.SingleToInt32Bits)];

    private static long[] Bits(IEnumerable<double> v) => [.. v.Select(BitConverter.DoubleToInt64Bits)];

    [Fact]
    public void FlowFieldSetsRoundTripBitForBit()
    {
        var flows = HandMadeFlows();
        string path = AlignmentStore.Save(flows, _dir["flows"]);
        Assert.Equal(_dir["flows"], path);
        var loaded = Assert.IsType<FlowFieldSet>(AlignmentStore.Load(path));
        AssertSameFlows(flows, loaded);
        AssertSameFlows(flows, AlignmentStore.LoadFlows(path));

        // The store is a Zarr group of float32 (c, z, y, x) arrays, one per level, with readable metadata.
        Assert.True(File.Exists(Path.Combine(path, ".zgroup")));
        using (var level2 = VolumeFormats.Open(Path.Combine(path, "flows-f2")))
        {
            Assert.Equal([4L, 3, 2, 3], level2.Levels[0].Array.Shape);
            Assert.Equal(DataType.Float32, level2.DataType);
        }
        using var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(path, AlignmentStore.MetadataFile)));
        var root = meta.RootElement;
        Assert.Equal("flow_field_set", root.GetProperty("kind").GetString());
        Assert.Equal("measured", root.GetProperty("state").GetString());
        Assert.Equal("/data/raw.zarr", root.GetProperty("region").GetProperty("source_path").GetString());
        Assert.Equal("2-2-1", root.GetProperty("region").GetProperty("mag").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("ncc_before")[0].ValueKind);
        Assert.Equal([0], root.GetProperty("levels")[0].GetProperty("missing").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public void MeshSolutionsRoundTripBitForBit()
    {
        var forward = new CoordinateMap(new Box3(0, 0, 0, 5, 4, 3), 40, 40, Values(2 * 5 * 4 * 3, 3));
        var inverse = new CoordinateMap(new Box3(1, 2, 0, 5, 4, 3), 40, 40.5, Values(2 * 5 * 4 * 3, 4));
        SectionResidual[] residuals =
        [
            new(0, 0, 0, double.NaN, double.NaN, double.NaN, MeshSolveStatus.Undefined),
            new(1, 1, 17, 0.1234567890123, 0.9, 1.5, MeshSolveStatus.Regular),
            new(2, 2, 3, 1e-300, 2.5, 7, MeshSolveStatus.Regularized),
        ];
        var solution = new MeshSolution(Region, forward, inverse, residuals, [double.NaN, 0.7, 0.25]);
        string path = AlignmentStore.Save(solution, _dir["mesh"]);
        AssertSameSolution(solution, Assert.IsType<MeshSolution>(AlignmentStore.Load(path)));
        AssertSameSolution(solution, AlignmentStore.LoadSolution(path));
        using var map = VolumeFormats.Open(Path.Combine(path, "inverse"));
        Assert.Equal([2L, 3, 4, 5], map.Levels[0].Array.Shape);
    }

    [Fact]
    public void AnExistingStoreIsReplacedOnlyWithForce()
    {
        var flows = HandMadeFlows();
        string path = AlignmentStore.Save(flows, _dir["state"]);
        var merged = StackFlow.Merge(StackFlow.Clean(flows, new FlowCleanOptions()), new FlowReconcileOptions());
        Assert.Throws<OutputExistsException>(() => AlignmentStore.Save(merged, path));
        Assert.Equal(FlowSetState.Measured, AlignmentStore.LoadFlows(path).State);
        AlignmentStore.Save(merged, path, force: true);
        AssertSameFlows(merged, AlignmentStore.LoadFlows(path));
        Assert.Equal(["state"], Directory.GetFileSystemEntries(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void LoadingNamesWhatIsWrong()
    {
        var missing = Assert.Throws<VolumeNotFoundException>(() => AlignmentStore.Load(_dir["nothing"]));
        Assert.Equal(_dir["nothing"], missing.Target);
        Directory.CreateDirectory(_dir["empty"]);
        Assert.Contains("has no alignment.json", Assert.Throws<InvalidVolumeException>(() => AlignmentStore.Load(_dir["empty"])).Message);

        string flows = AlignmentStore.Save(HandMadeFlows(), _dir["flows"]);
        Assert.Contains("expected a mesh solution", Assert.Throws<InvalidVolumeException>(() => AlignmentStore.LoadSolution(flows)).Message);
        Directory.Delete(Path.Combine(flows, "flows-f2"), recursive: true);
        Assert.Contains("the array 'flows-f2' is missing", Assert.Throws<InvalidVolumeException>(() => AlignmentStore.Load(flows)).Message);
        File.WriteAllText(Path.Combine(flows, AlignmentStore.MetadataFile), """{"kind": "flow_field_set", "format_version": 9}""");
        Assert.Contains("format version 9", Assert.Throws<InvalidVolumeException>(() => AlignmentStore.Load(flows)).Message);
    }

    [Fact]
    public void EveryStepOfARealRunRoundTripsAndResumesFromTheStore()
    {
        // A small synthetic stack with known deformations, in memory.
        var demo = new DemoStack(sections: 3, tissueSize: 160, border: 16);
        var array = new MemoryChunkedArray(DataType.UInt8, [demo.Sections, demo.CanvasSize, demo.CanvasSize], [1, 96, 96]);
        using var volume = new EmVolume(_dir["raw"], "memory", "", [new VolumeLevel(Mag.One, array)], VoxelSize.Unknown);
        demo.WriteTo(volume);
        var options = new ElasticAlignmentOptions { PatchSize = 48, Stride = 16 };

        var measured = StackFlow.Measure(new VolumeView(volume), options);
        var cleaned = StackFlow.Clean(measured, options.Clean);
        var merged = StackFlow.Merge(cleaned, options.Reconcile);
        foreach (var (set, name) in new[] { (measured, "measured"), (cleaned, "cleaned"), (merged, "merged") })
            AssertSameFlows(set, AlignmentStore.LoadFlows(AlignmentStore.Save(set, _dir[name])));
        Assert.Equal(4, measured.GetFlow(0, 1)!.Channels);
        Assert.Equal(2, cleaned.GetFlow(0, 1)!.Channels);
        Assert.True(merged.ValidCount(0, 2) > 20, "the synthetic sections should give flow vectors");

        // Resuming from saved merged flows gives the same solution as going on in memory.
        var solution = StackMesh.Relax(merged, options);
        var resumed = StackMesh.Relax(AlignmentStore.LoadFlows(_dir["merged"]), options);
        AssertSameSolution(solution, resumed);
        AssertSameSolution(solution, AlignmentStore.LoadSolution(AlignmentStore.Save(solution, _dir["mesh"])));
    }
}

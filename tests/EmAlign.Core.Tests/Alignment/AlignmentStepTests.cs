using EmAlign.Alignment;
using EmAlign.Diagnostics;
using EmAlign.Flow;
using EmAlign.Geometry;
using EmAlign.Maps;
using EmAlign.Mesh;
using EmAlign.Tests.Support;
using EmAlign.Volumes;

namespace EmAlign.Tests.Alignment;

/// <summary>The checks between the steps the front ends expose one by one, and section quality without rendering.</summary>
public class AlignmentStepTests
{
    private static readonly StackRegion Region = new("/data/raw.zarr", 1, new Mag(2, 2, 1), new Box3(0, 0, 0, 80, 80, 5), 40);

    [Fact]
    public void MergingRefusesMeasuredFlows()
    {
        FlowField?[] level = [null, new FlowField(2, 2, 40, FlowLayout.VectorsStats, patchSize: 160)];
        var measured = new FlowFieldSet(Region with { Region = new Box3(0, 0, 0, 80, 80, 2) }, 160, [1], [level], [0, 1], [double.NaN, 0.5], FlowSetState.Measured);
        var e = Assert.Throws<EmAlignException>(() => StackFlow.Merge(measured, new FlowReconcileOptions()));
        Assert.Equal("InputObject", e.Target);
        Assert.Contains("needs cleaned flows", e.Message);
    }

    private static MeshSolution Solution()
    {
        var map = new CoordinateMap(new Box3(0, 0, 0, 2, 2, 5), 40, 40);
        SectionResidual[] residuals =
        [
            new(0, 0, 0, double.NaN, double.NaN, double.NaN, MeshSolveStatus.Undefined),
            new(1, 1, 100, 0.2, 0.5, 0.9, MeshSolveStatus.Regular),
            new(2, 1, 10, 0.2, 0.5, 0.9, MeshSolveStatus.Regular),
            new(3, 1, 90, 1.0, 3.0, 4.0, MeshSolveStatus.Regular),
            new(4, 2, 100, 0.3, 0.6, 0.9, MeshSolveStatus.Regular),
        ];
        return new MeshSolution(Region, map, map, residuals, [double.NaN, 0.4, 0.5, 0.6, 0.7]);
    }

    [Fact]
    public void SectionQualityFlagsFewVectorsLargeResidualsAndSkippedSections()
    {
        var q = Solution().Assess();
        Assert.Equal(["reference", "ok", "few-flow-vectors", "large-residual", "ok-skipped-previous"], q.Select(s => s.Status));
        Assert.Equal([0, 1, 2, 3, 4], q.Select(s => s.Z));
        Assert.All(q, s => Assert.True(double.IsNaN(s.NccAfter)));
        Assert.Equal((90, 1.0, 3.0, 0.6), (q[3].FlowVectors, q[3].ResidualMedian, q[3].ResidualP95, q[3].NccBefore));
        // Looser thresholds flag nothing; the median section has 100 vectors.
        Assert.Equal(["reference", "ok", "ok", "ok", "ok-skipped-previous"], Solution().Assess(maxResidual: 5, minValidFraction: 0.05).Select(s => s.Status));
    }

    [Fact]
    public void SectionsWithoutAnyFlowVectorAreFlaggedEvenWhenAllAreAlike()
    {
        // A stack in which nothing matched (wrong channel, noise): the median section has no vectors either.
        var map = new CoordinateMap(new Box3(0, 0, 0, 2, 2, 3), 40, 40);
        var residuals = Enumerable.Range(0, 3).Select(z => new SectionResidual(z, z == 0 ? 0 : 1, 0, double.NaN, double.NaN, double.NaN, MeshSolveStatus.Regular)).ToArray();
        var q = new MeshSolution(Region with { Region = new Box3(0, 0, 0, 80, 80, 3) }, map, map, residuals, [double.NaN, 0.0, 0.0]).Assess();
        Assert.Equal(["reference", "few-flow-vectors", "few-flow-vectors"], q.Select(s => s.Status));
    }

    [Fact]
    public void ResidualsTypicalOfTheStackAreNotFlagged()
    {
        // Real EM: every section's mesh departs a few pixels from its flows; only the one that stands out is flagged.
        var map = new CoordinateMap(new Box3(0, 0, 0, 2, 2, 5), 40, 40);
        double[] p95 = [double.NaN, 3.0, 4.5, 14.0, 3.8];
        var residuals = p95.Select((p, z) => new SectionResidual(z, z == 0 ? 0 : 1, z == 0 ? 0 : 100, p / 3, p, p * 1.5, MeshSolveStatus.Regular)).ToArray();
        var q = new MeshSolution(Region, map, map, residuals, [double.NaN, 0.4, 0.5, 0.6, 0.7]).Assess();
        Assert.Equal(["reference", "ok", "ok", "large-residual", "ok"], q.Select(s => s.Status));
        Assert.Equal(0.77, Solution().Assess(4, 0.77).NccAfter);
    }

    [Fact]
    public void RenderingRefusesAVolumeWithoutTheSolvedLevel()
    {
        using var dir = new TempFolder();
        var array = new MemoryChunkedArray(DataType.UInt8, [5, 160, 160], [1, 160, 160]);
        using var volume = new EmVolume("other", "memory", "", [new VolumeLevel(Mag.One, array)], VoxelSize.Unknown);
        var e = Assert.Throws<EmAlignException>(() => AlignedRenderer.Render(volume, Solution(), dir["out.zarr"], new RenderOptions { Format = "zarr2" }));
        Assert.Equal("Path", e.Target);
        Assert.Contains("solved on level 1 (mag 2-2-1)", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }
}

using EmAlign.Alignment;
using EmAlign.Diagnostics;
using EmAlign.Flow;
using EmAlign.FrontEnds;
using EmAlign.Geometry;
using EmAlign.Maps;
using EmAlign.Warp;

namespace EmAlign.PowerShell.Tests.Adapters;

/// <summary>The elastic alignment cmdlets' decisions and defaults.</summary>
public sealed class AlignmentCommandsTests
{
    private static FlowFieldSet Flows(FlowSetState state)
    {
        var region = new StackRegion("/data/raw.zarr", 0, Mag.One, new Box3(0, 0, 0, 120, 80, 2), 40);
        var layout = state == FlowSetState.Measured ? FlowLayout.VectorsStats : FlowLayout.Vectors;
        FlowField?[] level = [null, new FlowField(3, 2, 40, layout, patchSize: 96)];
        return new FlowFieldSet(region, 96, [1], [level], [0, 1], [double.NaN, 0.5], state);
    }

    [Fact]
    public void TheCmdletDefaultsAreSofimasNotebookValues()
    {
        var measure = new MeasureFlowFieldCommand();
        Assert.Equal([1, 2], measure.Level);
        Assert.Equal((160, 40, 2), (measure.PatchSize, measure.Stride, measure.MaxDeltaZ));
        Assert.Equal((CorrelationMode.MeanRemoved, SubPixelRefinement.Gaussian), (measure.Correlation, measure.SubPixel));
        var repair = new RepairFlowFieldCommand();
        Assert.Equal((1.6, 1.6, 80.0, 20.0), (repair.MinPeakRatio, repair.MinPeakSharpness, repair.MaxMagnitude, repair.MaxDeviation));
        var merge = new MergeFlowFieldCommand();
        Assert.Equal((0.0, 20.0, 400), (merge.MaxGradient, merge.MaxDeviation, merge.MinPatchSize));
        var relax = new InvokeMeshRelaxationCommand();
        Assert.Equal((0.01, 0.1, 0.001, 0.005, 100_000L, 0, 1), (relax.K0, relax.K, relax.Dt, relax.StopVMax, relax.MaxIters, relax.BlockLength, relax.RefinePasses));
        var export = new ExportWarpedVolumeCommand();
        Assert.Equal(("zarr2", "none", WarpInterpolation.Lanczos4), (export.Format, export.Codec, export.Interpolation));
        var quality = new MeasureEmAlignmentCommand();
        Assert.Equal((2.0, 0.25), (quality.MaxResidual, quality.MinValidFraction));
    }

    [Fact]
    public void MeasureOptionsCarryTheParametersAndNameTheBadOne()
    {
        var o = AlignmentCommands.MeasureOptions([1, 4], 96, 32, CorrelationMode.MaskedNormalized, SubPixelRefinement.None, 3);
        Assert.Equal([1, 4], o.Levels);
        Assert.Equal((96, 32, 3), (o.PatchSize, o.Stride, o.MaxDeltaZ));
        Assert.Equal((CorrelationMode.MaskedNormalized, SubPixelRefinement.None), (o.Correlation, o.SubPixel));

        var dup = Assert.Throws<EmAlignException>(() => AlignmentCommands.MeasureOptions([2, 2], 160, 40, CorrelationMode.MeanRemoved, SubPixelRefinement.Gaussian, 2));
        Assert.Equal("Level", dup.Target);
        Assert.Contains("-Level 2,2", dup.Message);
        var stride = Assert.Throws<EmAlignException>(() => AlignmentCommands.MeasureOptions([1], 64, 100, CorrelationMode.MeanRemoved, SubPixelRefinement.Gaussian, 2));
        Assert.Equal("Stride", stride.Target);
    }

    [Fact]
    public void CleanAndReconcileOptionsCarryTheParameters()
    {
        Assert.Equal(new FlowCleanOptions { MinPeakRatio = 2, MinPeakSharpness = 3, MaxMagnitude = 40, MaxDeviation = 5 }, AlignmentCommands.CleanOptions(2, 3, 40, 5));
        var r = AlignmentCommands.ReconcileOptions(7, 8, 9);
        Assert.Equal((7.0, 8.0, 9), (r.MaxGradient, r.MaxDeviation, r.MinPatchSize));
    }

    [Fact]
    public void RelaxOptionsTakeTheFlowsGridAndSayWhichStepsAreMissing()
    {
        var o = AlignmentCommands.RelaxOptions(Flows(FlowSetState.Merged), 0.02, 0.3, 0.002, 0.01, 500, 10);
        Assert.Equal((96, 40, 10), (o.PatchSize, o.Stride, o.BlockLength));
        Assert.Equal((0.02, 0.3, 0.002, 0.01, 500L), (o.Mesh.K0, o.Mesh.K, o.Mesh.Dt, o.Mesh.StopVMax, o.Mesh.MaxIters));
        // The rest of the mesh settings stay SOFIMA's em_2d ones.
        Assert.Equal(IntegrationConfigFire(), (o.Mesh.Fire, o.Mesh.StartCap, o.Mesh.FinalCap));

        var measured = Assert.Throws<EmAlignException>(() => AlignmentCommands.RelaxOptions(Flows(FlowSetState.Measured), 0.01, 0.1, 0.001, 0.005, 100, 0));
        Assert.Equal("InputObject", measured.Target);
        Assert.Contains("these are measured", measured.Message);
        Assert.Contains("Repair-FlowField | Merge-FlowField", measured.Message);
        var cleaned = Assert.Throws<EmAlignException>(() => AlignmentCommands.RelaxOptions(Flows(FlowSetState.Cleaned), 0.01, 0.1, 0.001, 0.005, 100, 0));
        Assert.Contains("Pipe them through Merge-FlowField first", cleaned.Message);
        Assert.Equal("BlockLength", Assert.Throws<EmAlignException>(() => AlignmentCommands.RelaxOptions(Flows(FlowSetState.Merged), 0.01, 0.1, 0.001, 0.005, 100, 1)).Target);
    }

    private static (bool, double, double) IntegrationConfigFire() =>
        (Mesh.IntegrationConfig.Em2d.Fire, Mesh.IntegrationConfig.Em2d.StartCap, Mesh.IntegrationConfig.Em2d.FinalCap);

    [Fact]
    public void RenderOptionsCheckTheFormatAndOpenSourceNamesTheRecordedPath()
    {
        var o = AlignmentCommands.RenderOptions("ZARR2", "zlib", WarpInterpolation.Cubic, crop: true, force: true);
        Assert.Equal(("zarr2", "zlib", WarpInterpolation.Cubic, true, true), (o.Format, o.Codec, o.Interpolation, o.Crop, o.Force));
        Assert.Contains("Unknown format 'jpeg'", Assert.Throws<EmAlignException>(() => AlignmentCommands.RenderOptions("jpeg", "none", WarpInterpolation.Linear, false, false)).Message);

        string missing = Path.Combine(Path.GetTempPath(), "emalign-no-such-" + Guid.NewGuid().ToString("N") + ".zarr");
        var region = new StackRegion(missing, 0, Mag.One, new Box3(0, 0, 0, 80, 80, 2), 40);
        var map = new CoordinateMap(new Box3(0, 0, 0, 2, 2, 2), 40, 40);
        var solution = new MeshSolution(region, map, map, [], [double.NaN, 0.5]);
        var e = Assert.Throws<VolumeNotFoundException>(() => AlignmentCommands.OpenSource(solution));
        Assert.Equal(missing, e.Target);
    }
}

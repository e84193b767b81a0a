using EmAlign.Alignment;
using EmAlign.Diagnostics;
using EmAlign.Flow;
using EmAlign.Formats;
using EmAlign.Volumes;
using EmAlign.Warp;

namespace EmAlign.FrontEnds;

/// <summary>
/// What the elastic alignment cmdlets decide, apart from PowerShell itself: engine options from their parameters
/// (defaults are the engine's, so the two cannot drift), and which volume a solution renders. Errors name the
/// PowerShell parameter. Kept free of PowerShell types so tests exercise it.
/// </summary>
internal static class AlignmentCommands
{
    /// <summary>The engine's defaults (SOFIMA's em_2d values), which the cmdlets' parameter defaults show.</summary>
    public static ElasticAlignmentOptions Defaults { get; } = new();

    /// <summary>Measure-FlowField: the settings of flow measurement, checked before any section is read.</summary>
    public static ElasticAlignmentOptions MeasureOptions(int[] level, int patchSize, int stride, CorrelationMode correlation, SubPixelRefinement subPixel, int maxDeltaZ)
    {
        if (level.Length == 0 || level.Any(f => f < 1) || level.Distinct().Count() != level.Length)
            throw new EmAlignException($"-Level {string.Join(",", level)} is not a list of downsampling factors: expected distinct factors of at least 1, e.g. 1,2,4.", "Level");
        var options = Defaults with { Levels = level, PatchSize = patchSize, Stride = stride, Correlation = correlation, SubPixel = subPixel, MaxDeltaZ = maxDeltaZ };
        options.Validate();
        return options;
    }

    /// <summary>Repair-FlowField: clean_flow thresholds.</summary>
    public static FlowCleanOptions CleanOptions(double minPeakRatio, double minPeakSharpness, double maxMagnitude, double maxDeviation) =>
        new() { MinPeakRatio = minPeakRatio, MinPeakSharpness = minPeakSharpness, MaxMagnitude = maxMagnitude, MaxDeviation = maxDeviation };

    /// <summary>Merge-FlowField: reconcile_flows thresholds.</summary>
    public static FlowReconcileOptions ReconcileOptions(double maxGradient, double maxDeviation, int minPatchSize) =>
        Defaults.Reconcile with { MaxGradient = maxGradient, MaxDeviation = maxDeviation, MinPatchSize = minPatchSize };

    /// <summary>
    /// Invoke-MeshRelaxation: the mesh settings (SOFIMA's IntegrationConfig names) on the flows' own grid. Flows that are
    /// not merged yet are refused here, saying which steps are missing.
    /// </summary>
    public static ElasticAlignmentOptions RelaxOptions(FlowFieldSet flows, double k0, double k, double dt, double stopVMax, long maxIters, int blockLength)
    {
        if (flows.State != FlowSetState.Merged)
            throw new EmAlignException(
                $"Invoke-MeshRelaxation needs merged flow fields; these are {flows.State.ToString().ToLowerInvariant()}. " +
                $"Pipe them through {(flows.State == FlowSetState.Measured ? "Repair-FlowField | Merge-FlowField" : "Merge-FlowField")} first.", "InputObject");
        var options = Defaults with
        {
            Levels = [.. flows.Factors],
            PatchSize = flows.PatchSize,
            Stride = flows.Stride,
            Mesh = Defaults.Mesh with { K0 = k0, K = k, Dt = dt, StopVMax = stopVMax, MaxIters = maxIters },
            BlockLength = blockLength,
        };
        options.Validate();
        options.Mesh.Validate();
        return options;
    }

    /// <summary>Export-WarpedVolume: how to render (the format is checked now, so -WhatIf reports a bad one too).</summary>
    public static RenderOptions RenderOptions(string format, string codec, WarpInterpolation interpolation, bool crop, bool force) => new()
    {
        Format = VolumeFormats.Get(format).Name,
        Codec = codec,
        Interpolation = interpolation,
        Crop = crop,
        Force = force,
    };

    /// <summary>Invoke-MeshRelaxation -RefinePasses: the region flows were measured on, in the volume reopened by its recorded path; the caller disposes view.Volume.</summary>
    public static VolumeView OpenSourceView(StackRegion region)
    {
        var volume = VolumeFormats.Open(region.SourcePath);
        try { return new VolumeView(volume, region.Level, region.Region.FromMag(region.Mag)); }
        catch
        {
            volume.Dispose();
            throw;
        }
    }

    /// <summary>Export-WarpedVolume: opens the volume a solution was computed on, by the path it recorded.</summary>
    public static EmVolume OpenSource(MeshSolution solution) => VolumeFormats.Open(solution.SourcePath);
}

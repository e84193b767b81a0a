using EmAlign.Flow;
using EmAlign.Numerics;
using EmAlign.Volumes;

namespace EmAlign.Alignment;

/// <summary>
/// Flow fields for a whole section stack: measuring them (streaming sections, so memory holds only a few),
/// cleaning each level, and merging the levels. Engine side of Measure-, Repair- and Merge-FlowField.
/// </summary>
public static class StackFlow
{
    /// <summary>
    /// Measures the flow of every section to its predecessor at every level of <paramref name="options"/>.
    /// A section whose cleaned flow keeps fewer than MinValidFraction of its non-blank patches (a damaged or
    /// missing section, or its successor) is compared with sections further back, up to MaxDeltaZ, and the
    /// best reference is kept, so one bad section does not break the chain.
    /// </summary>
    public static FlowFieldSet Measure(VolumeView view, ElasticAlignmentOptions options, IProgress<ProgressInfo>? progress = null, CancellationToken ct = default)
    {
        options.Validate();
        RequireSections(view);
        var region = StackRegion.For(view, options.Stride);
        return Measure(region, z => region.ReadSection(view.Volume, z), options, progress, ct);
    }

    /// <summary>As <see cref="Measure(VolumeView, ElasticAlignmentOptions, IProgress{ProgressInfo}?, CancellationToken)"/>, with sections (region pixels) from <paramref name="readSection"/>.</summary>
    internal static FlowFieldSet Measure(StackRegion region, Func<int, Image2D<float>> readSection, ElasticAlignmentOptions options, IProgress<ProgressInfo>? progress, CancellationToken ct)
    {
        var factors = options.Levels.Order().ToArray();
        int n = region.Sections;
        var flows = factors.Select(_ => new FlowField?[n]).ToArray();
        var deltaZ = new int[n];
        var ncc = new double[n];
        ncc[0] = double.NaN;
        var flowOptions = options.FlowOptions;
        var window = new Dictionary<int, (Image2D<float>[] Levels, Image2D<float> Small)>();
        int nccFactor = NccFactor(region.Width, region.Height);
        for (int z = 0; z < n; z++)
        {
            ct.ThrowIfCancellationRequested();
            var full = readSection(z);
            var levels = factors.Select(f => f == 1 ? full : AreaDownsample.Apply(full, f)).ToArray();
            var small = nccFactor == 1 ? full : AreaDownsample.Apply(full, nccFactor);
            window[z] = (levels, small);
            window.Remove(z - options.MaxDeltaZ - 1);
            if (z == 0) { progress?.Report(new ProgressInfo("Measuring flow fields", $"section 1 of {n}", 1, n)); continue; }
            ncc[z] = Ncc(window[z - 1].Small, small);

            double best = -1;
            for (int d = 1; d <= options.MaxDeltaZ && z - d >= 0; d++)
            {
                var pre = window[z - d].Levels;
                var candidate = new FlowField[factors.Length];
                for (int l = 0; l < factors.Length; l++)
                    candidate[l] = FlowEstimator.Estimate(pre[l], levels[l], flowOptions, null, null, ct).PadToNodeGrid(levels[l].Width, levels[l].Height);
                double fraction = CleanFraction(candidate[0], options.Clean);
                if (fraction > best)
                {
                    best = fraction;
                    deltaZ[z] = d;
                    for (int l = 0; l < factors.Length; l++) flows[l][z] = candidate[l];
                }
                if (fraction >= options.MinValidFraction) break;
            }
            progress?.Report(new ProgressInfo("Measuring flow fields", $"section {z + 1} of {n}", z + 1, n));
        }
        return new FlowFieldSet(region, options.PatchSize, factors, flows, deltaZ, ncc, FlowSetState.Measured);
    }

    /// <summary>Throws when the view has fewer than the two sections an alignment needs.</summary>
    internal static void RequireSections(VolumeView view)
    {
        if (view.SizeZ < 2)
            throw new Diagnostics.EmAlignException($"'{view.Path}' has {view.SizeZ} section(s) in the chosen region: elastic alignment needs at least 2.", "Path");
    }

    /// <summary>clean_flow on every level (thresholds in each level's own pixels).</summary>
    public static FlowFieldSet Clean(FlowFieldSet set, FlowCleanOptions options)
    {
        if (set.State != FlowSetState.Measured)
            throw new Diagnostics.EmAlignException($"The flow fields are already {set.State.ToString().ToLowerInvariant()}: cleaning needs measured flows with peak statistics.", "InputObject");
        var flows = set.Flows.Select(level => level.Select(f => f is null ? null : FlowCleaner.Clean(f, options)).ToArray()).ToArray();
        return new FlowFieldSet(set.Region, set.PatchSize, set.Factors, flows, set.DeltaZArray, set.NccBeforeArray, FlowSetState.Cleaned);
    }

    /// <summary>
    /// Merges the levels into one [dx, dy] flow per section on the finest grid: coarser flows are upsampled
    /// (vectors scaled to finest pixels) and reconciled, the finest preferred (reconcile_flows).
    /// </summary>
    public static FlowFieldSet Merge(FlowFieldSet set, FlowReconcileOptions options)
    {
        if (set.State == FlowSetState.Merged) return set;
        if (set.State == FlowSetState.Measured)
            throw new Diagnostics.EmAlignException("The flow fields are as measured, with peak statistics: merging needs cleaned flows (Repair-FlowField, StackFlow.Clean) first.", "InputObject");
        var merged = new FlowField?[set.Sections];
        int f0 = set.Factors[0];
        // min_patch_size was chosen for SOFIMA's 5000 px sections (15,000+ nodes); on a small grid it would
        // erase every island, so it never exceeds a twentieth of the grid.
        int nodes = set.NodeCount(0);
        if (nodes > 0 && options.MinPatchSize > nodes / 20) options = options with { MinPatchSize = nodes / 20 };
        Parallel.For(0, set.Sections, z =>
        {
            var fine = set.Flows[0][z];
            if (fine is null) return;
            var list = new List<FlowField> { fine };
            for (int l = 1; l < set.Factors.Count; l++)
                if (set.Flows[l][z] is { } coarse)
                    list.Add(FlowReconciler.Upsample(coarse, set.Factors[l] / (double)f0, fine.Width, fine.Height, fine.Stride, fine.OriginX, fine.OriginY));
            merged[z] = FlowReconciler.Reconcile(list, options);
        });
        return new FlowFieldSet(set.Region, set.PatchSize, [f0], [merged], set.DeltaZArray, set.NccBeforeArray, FlowSetState.Merged);
    }

    /// <summary>Fraction of a raw flow's measured (non-blank) patches that survive cleaning.</summary>
    private static double CleanFraction(FlowField raw, FlowCleanOptions clean)
    {
        int measured = raw.ValidCount;
        return measured == 0 ? 0 : FlowCleaner.Clean(raw, clean).ValidCount / (double)measured;
    }

    /// <summary>Downsampling used for whole-section similarity, so it costs little and compares like with like.</summary>
    internal static int NccFactor(int width, int height) => Math.Max(1, (int)Math.Ceiling(Math.Max(width, height) / 512.0));

    /// <summary>Pearson correlation of two equally sized images over pixels that are non-zero in both (zero = padding).</summary>
    internal static double Ncc(Image2D<float> a, Image2D<float> b)
    {
        double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        long count = 0;
        var da = a.Data; var db = b.Data;
        int len = Math.Min(da.Length, db.Length);
        for (int i = 0; i < len; i++)
        {
            float x = da[i], y = db[i];
            if (x == 0 || y == 0) continue;
            sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y; count++;
        }
        if (count < 2) return double.NaN;
        double cov = sab - sa * sb / count, va = saa - sa * sa / count, vb = sbb - sb * sb / count;
        return va <= 0 || vb <= 0 ? double.NaN : cov / Math.Sqrt(va * vb);
    }
}

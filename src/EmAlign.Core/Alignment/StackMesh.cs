using EmAlign.Flow;
using EmAlign.Geometry;
using EmAlign.Maps;
using EmAlign.Mesh;
using EmAlign.Volumes;

namespace EmAlign.Alignment;

/// <summary>Elastic mesh relaxation of a stack from merged flows, and the inverse maps rendering needs (engine of Invoke-MeshRelaxation).</summary>
public static class StackMesh
{
    public static MeshSolution Relax(FlowFieldSet flows, ElasticAlignmentOptions options, IProgress<ProgressInfo>? progress = null, CancellationToken ct = default)
    {
        options.Validate();
        if (flows.State != FlowSetState.Merged)
            throw new Diagnostics.EmAlignException($"Mesh relaxation needs merged flow fields (Merge-FlowField); these are {flows.State.ToString().ToLowerInvariant()}.", "InputObject");
        if (flows.Stride != options.Stride)
            throw new Diagnostics.EmAlignException($"The flows were measured with stride {flows.Stride}; the mesh was asked for stride {options.Stride}.", "Stride");
        int n = flows.Sections;
        var first = Enumerable.Range(0, n).Select(z => flows.GetFlow(0, z)).FirstOrDefault(f => f is not null);
        int w = first?.Width ?? (int)Math.Ceiling(flows.Region.Width / (double)flows.Stride);
        int h = first?.Height ?? (int)Math.Ceiling(flows.Region.Height / (double)flows.Stride);
        var box = new Box3(0, 0, 0, w, h, n);

        // One map per reference offset in use; a section appears in the map of the offset it was measured with.
        var byDelta = new SortedDictionary<int, CoordinateMap>();
        for (int z = 1; z < n; z++)
        {
            if (flows.GetFlow(0, z) is not { } f) continue;
            int d = flows.DeltaZ[z];
            if (!byDelta.TryGetValue(d, out var map)) byDelta[d] = map = CoordinateMap.Filled(box, flows.Stride, flows.Stride, float.NaN);
            f.Channel(0).CopyTo(map.Dx(z));
            f.Channel(1).CopyTo(map.Dy(z));
        }
        if (byDelta.Count == 0) byDelta[1] = CoordinateMap.Filled(box, flows.Stride, flows.Stride, float.NaN);
        var chainFlows = byDelta.Select(kv => new ChainFlow(kv.Key, kv.Value)).ToList();

        var config = options.MeshConfig;
        var result = options.BlockLength > 0 && n > options.BlockLength
            ? AlignmentChain.SolveBlocks(chainFlows, config, IntegrationConfig.Em2dCrossBlock, options.BlockLength, null, progress, ct)
            : AlignmentChain.SolveSequential(chainFlows, config, null, progress, ct);
        var forward = result.Solved;
        var inverse = CoordinateMaps.FillMissing(CoordinateMaps.Invert(forward, forward.Box), extrapolate: true);
        var residuals = Residuals(forward, chainFlows, flows.DeltaZ, result.Sections);
        return new MeshSolution(flows.Region, forward, inverse, residuals, flows.NccBefore);
    }

    /// <summary>
    /// Per section: |solved(p) - target(p)| over nodes with a flow vector, where target(p) = F(p) + solved_ref(p + F(p))
    /// is where the flow says node p belongs once its reference section is aligned.
    /// </summary>
    private static SectionResidual[] Residuals(CoordinateMap solved, List<ChainFlow> flows, IReadOnlyList<int> deltaZ, IReadOnlyList<SectionSolve> solves)
    {
        int n = solved.Sections;
        var result = new SectionResidual[n];
        result[0] = new SectionResidual(0, 0, 0, double.NaN, double.NaN, double.NaN, solves.Count > 0 ? solves[0].Status : MeshSolveStatus.Regular);
        Parallel.For(1, n, z =>
        {
            int d = deltaZ[z];
            var status = z < solves.Count ? solves[z].Status : MeshSolveStatus.Undefined;
            var flow = flows.FirstOrDefault(f => f.DeltaZ == d)?.Flow;
            if (flow is null || d == 0 || z - d < 0) { result[z] = new SectionResidual(z, d, 0, double.NaN, double.NaN, double.NaN, status); return; }
            var own = flow.GetSections(z, 1);
            var target = CoordinateMaps.ComposeFast(own, solved.GetSections(z - d, 1));
            var sol = solved.GetSections(z, 1);
            var values = new List<double>();
            var fx = own.Dx(0); var tx = target.Dx(0); var ty = target.Dy(0); var sx = sol.Dx(0); var sy = sol.Dy(0);
            for (int i = 0; i < fx.Length; i++)
            {
                if (!float.IsFinite(fx[i]) || !float.IsFinite(tx[i]) || !float.IsFinite(sx[i])) continue;
                double ex = sx[i] - tx[i], ey = sy[i] - ty[i];
                values.Add(Math.Sqrt(ex * ex + ey * ey));
            }
            values.Sort();
            result[z] = values.Count == 0
                ? new SectionResidual(z, d, 0, double.NaN, double.NaN, double.NaN, status)
                : new SectionResidual(z, d, values.Count, Percentile(values, 0.5), Percentile(values, 0.95), values[^1], status);
        });
        return result;
    }

    internal static double Percentile(List<double> sorted, double q)
    {
        if (sorted.Count == 0) return double.NaN;
        double pos = q * (sorted.Count - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(sorted.Count - 1, lo + 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}

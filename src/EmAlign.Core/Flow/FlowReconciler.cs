using EmAlign.Numerics;

namespace EmAlign.Flow;

/// <summary>Settings of <see cref="FlowReconciler.Reconcile"/> (SOFIMA reconcile_flows); 0 switches a test off.</summary>
public sealed record FlowReconcileOptions
{
    /// <summary>Reject a node whose x component jumps by more than this to its left or right neighbour, or y component to its upper or lower one.</summary>
    public double MaxGradient { get; init; } = 40;

    /// <summary>Reject a node deviating by more than this from its 3x3 median (NaN as 0).</summary>
    public double MaxDeviation { get; init; } = 10;

    /// <summary>Remove 4-connected islands of valid nodes smaller than this many nodes.</summary>
    public int MinPatchSize { get; init; } = 400;

    /// <summary>For <see cref="FlowLayout.VectorsDeltaZ"/> flows: fill only from vectors with |dz| at least this.</summary>
    public double MinDeltaZ { get; init; }
}

/// <summary>Merges flows of decreasing preference into one and filters the result (SOFIMA flow_utils.reconcile_flows).</summary>
public static class FlowReconciler
{
    /// <summary>
    /// Starts from <paramref name="flows"/>[0] and fills its invalid nodes from each further flow in turn
    /// (all channels; for dz flows only where |dz| &gt;= MinDeltaZ). Then, in order: gradient test (a missing
    /// neighbour at the border counts as 0, as in SOFIMA, so a border node whose component exceeds the limit is
    /// removed), 3x3 median deviation test on dx, dy, and removal of small 4-connected islands. All flows must be
    /// <see cref="FlowLayout.Vectors"/> or <see cref="FlowLayout.VectorsDeltaZ"/>, with the same layout and grid.
    /// </summary>
    public static FlowField Reconcile(IReadOnlyList<FlowField> flows, FlowReconcileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(flows);
        if (flows.Count == 0) throw new ArgumentException("At least one flow is needed.", nameof(flows));
        options ??= new FlowReconcileOptions();
        var first = flows[0];
        foreach (var f in flows)
        {
            if (f.Layout is not (FlowLayout.Vectors or FlowLayout.VectorsDeltaZ))
                throw new ArgumentException($"Reconcile takes Vectors or VectorsDeltaZ flows; got {f.Layout} (clean the flow first).", nameof(flows));
            if (f.Layout != first.Layout || !f.SameGrid(first))
                throw new ArgumentException($"All flows must share layout and grid: {f} vs {first}.", nameof(flows));
        }
        var ret = first.Clone();
        int n = ret.NodeCount, channels = ret.Channels;
        var d = ret.Data;
        for (int k = 1; k < flows.Count; k++)
        {
            var s = flows[k].Data;
            for (int i = 0; i < n; i++)
            {
                if (!float.IsNaN(d[i])) continue;
                if (channels == 3 && !(Math.Abs(s[2 * n + i]) >= options.MinDeltaZ)) continue;
                for (int c = 0; c < channels; c++) d[c * n + i] = s[c * n + i];
            }
        }
        if (options.MaxGradient > 0)
        {
            var bad = new bool[n];
            MarkGradients(ret, options.MaxGradient, bad);
            FlowCleaner.SetInvalid(ret, bad);
        }
        if (options.MaxDeviation > 0)
        {
            var bad = new bool[n];
            FlowCleaner.MarkDeviations(ret, options.MaxDeviation, 2, bad);
            FlowCleaner.SetInvalid(ret, bad);
        }
        if (options.MinPatchSize > 0) RemoveSmallIslands(ret, options.MinPatchSize);
        return ret;
    }

    private static void MarkGradients(FlowField f, double limit, bool[] bad)
    {
        int w = f.Width, h = f.Height, n = f.NodeCount;
        var d = f.Data;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                float vx = d[i], vy = d[n + i];
                float left = x > 0 ? d[i - 1] : 0f, right = x < w - 1 ? d[i + 1] : 0f;
                float up = y > 0 ? d[n + i - w] : 0f, down = y < h - 1 ? d[n + i + w] : 0f;
                if (Math.Abs(vx - left) > limit || Math.Abs(right - vx) > limit || Math.Abs(vy - up) > limit || Math.Abs(down - vy) > limit) bad[i] = true;
            }
    }

    /// <summary>Invalidates 4-connected components of all-channel-valid nodes smaller than <paramref name="minSize"/>.</summary>
    private static void RemoveSmallIslands(FlowField f, int minSize)
    {
        int n = f.NodeCount;
        var valid = new bool[n];
        for (int i = 0; i < n; i++)
        {
            bool ok = true;
            for (int c = 0; c < f.Channels && ok; c++) ok = !float.IsNaN(f.Data[c * n + i]);
            valid[i] = ok;
        }
        var labels = BinaryMask.Label(valid, f.Width, f.Height, out int count, eightConnected: false);
        var sizes = BinaryMask.ComponentSizes(labels, count);
        var bad = new bool[n];
        for (int i = 0; i < n; i++) bad[i] = labels[i] != 0 && sizes[labels[i]] < minSize;
        FlowCleaner.SetInvalid(f, bad);
    }

    /// <summary>
    /// Brings a flow measured on coarser images onto a finer node grid (SOFIMA ReconcileAndFilterFlows, coarse
    /// inputs): node positions scale by <paramref name="scale"/> = coarse pixel size / fine pixel size (without a
    /// half-pixel shift, as SOFIMA), validity comes from the nearest coarse node (round half up; outside the coarse
    /// grid = invalid), the vectors are interpolated linearly and multiplied by <paramref name="scale"/> into fine
    /// pixels, and dz (if present) is taken from the nearest node. Linear here is bilinear between the four
    /// surrounding nodes, renormalised over the valid ones; SOFIMA triangulates the valid nodes instead, which
    /// agrees wherever all four are valid.
    /// </summary>
    public static FlowField Upsample(FlowField coarse, double scale, int width, int height, int stride, int originX = 0, int originY = 0)
    {
        ArgumentNullException.ThrowIfNull(coarse);
        if (coarse.Layout is not (FlowLayout.Vectors or FlowLayout.VectorsDeltaZ))
            throw new ArgumentException($"Upsample takes Vectors or VectorsDeltaZ flows; got {coarse.Layout}.", nameof(coarse));
        if (!(scale > 0)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "Scale must be positive.");
        var result = FlowField.CreateInvalid(width, height, stride, coarse.Layout, originX, originY, coarse.PatchSize, coarse.PostPatchSize);
        int cw = coarse.Width, ch = coarse.Height, cn = coarse.NodeCount, n = result.NodeCount;
        var s = coarse.Data;
        for (int y = 0; y < height; y++)
        {
            double v = ((originY + (double)y * stride) / scale - coarse.OriginY) / coarse.Stride;
            int ny = (int)Math.Floor(v + 0.5);
            if (ny < 0 || ny >= ch) continue;
            for (int x = 0; x < width; x++)
            {
                double u = ((originX + (double)x * stride) / scale - coarse.OriginX) / coarse.Stride;
                int nx = (int)Math.Floor(u + 0.5);
                if (nx < 0 || nx >= cw || float.IsNaN(s[ny * cw + nx]) || float.IsNaN(s[cn + ny * cw + nx])) continue;
                if (u < 0 || v < 0 || u > cw - 1 || v > ch - 1) continue; // outside the hull of the nodes: no linear value
                int x0 = Math.Min((int)u, cw - 1), y0 = Math.Min((int)v, ch - 1);
                int x1 = Math.Min(x0 + 1, cw - 1), y1 = Math.Min(y0 + 1, ch - 1);
                double fx = u - x0, fy = v - y0;
                double sw = 0, sx = 0, sy = 0;
                Accumulate(x0, y0, (1 - fx) * (1 - fy));
                Accumulate(x1, y0, fx * (1 - fy));
                Accumulate(x0, y1, (1 - fx) * fy);
                Accumulate(x1, y1, fx * fy);
                if (!(sw > 0)) continue;
                int o = y * width + x;
                result.Data[o] = (float)(sx / sw * scale);
                result.Data[n + o] = (float)(sy / sw * scale);
                if (coarse.Layout == FlowLayout.VectorsDeltaZ) result.Data[2 * n + o] = s[2 * cn + ny * cw + nx];

                void Accumulate(int ix, int iy, double weight)
                {
                    if (weight <= 0) return;
                    float a = s[iy * cw + ix], b = s[cn + iy * cw + ix];
                    if (float.IsNaN(a) || float.IsNaN(b)) return;
                    sw += weight; sx += weight * a; sy += weight * b;
                }
            }
        }
        return result;
    }
}

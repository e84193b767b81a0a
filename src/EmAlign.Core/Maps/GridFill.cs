using System.Buffers;

namespace EmAlign.Maps;

/// <summary>
/// Filling unknown nodes of one section's node plane ([y][x], two channels, NaN = unknown): the
/// regular-grid stand-in for SOFIMA's Delaunay interpolation (spec §3.3, §9.5).
/// </summary>
/// <remarks>
/// SOFIMA triangulates the valid nodes (Qhull) and interpolates linearly on the triangles, so unknown
/// nodes inside the convex hull of the valid ones get values and nodes outside stay unknown. On a
/// grid every unknown node inside the hull lies in a hole bounded by valid nodes; we fill such holes
/// with the discrete harmonic (Laplace) interpolant of the surrounding valid nodes instead of with
/// Delaunay triangles. Both reproduce linear fields exactly and keep valid nodes unchanged; the
/// harmonic fill is smooth and has no sliver-triangle artefacts. The hull rule is kept exactly.
/// </remarks>
internal static class GridFill
{
    private const float DiagonalWeight = 0.5f;

    private static ReadOnlySpan<int> NeighbourDi => [0, 0, -1, 1, -1, -1, 1, 1];

    private static ReadOnlySpan<int> NeighbourDj => [-1, 1, 0, 0, -1, 1, -1, 1];

    /// <summary>
    /// Fills, in place, the unknown nodes inside the convex hull of the valid ones. Returns false (and
    /// changes nothing) when the valid nodes are fewer than three or all collinear, where SOFIMA's
    /// triangulation fails.
    /// </summary>
    public static bool InterpolateInHull(Span<float> a, Span<float> b, int width, int height)
    {
        int n = width * height;
        var valid = ArrayPool<bool>.Shared.Rent(n);
        var nearest = ArrayPool<int>.Shared.Rent(n);
        var unknownIndex = ArrayPool<int>.Shared.Rent(n);
        try
        {
            int validCount = MarkValid(a, b, valid.AsSpan(0, n));
            if (validCount == n) return true;
            var hull = ConvexHull(valid.AsSpan(0, n), width, height);
            if (hull.Length < 3) return false;

            // The unknowns: invalid nodes inside or on the hull.
            var unknowns = new List<int>();
            for (int k = 0; k < n; k++)
            {
                unknownIndex[k] = -1;
                if (!valid[k] && InsideHull(hull, k / width, k % width))
                {
                    unknownIndex[k] = unknowns.Count;
                    unknowns.Add(k);
                }
            }
            if (unknowns.Count == 0) return true;
            NearestValid(valid.AsSpan(0, n), width, height, nearest.AsSpan(0, n));
            SolveHarmonic(a, b, width, height, valid.AsSpan(0, n), unknownIndex.AsSpan(0, n), unknowns, nearest.AsSpan(0, n));
            return true;
        }
        finally
        {
            ArrayPool<bool>.Shared.Return(valid);
            ArrayPool<int>.Shared.Return(nearest);
            ArrayPool<int>.Shared.Return(unknownIndex);
        }
    }

    /// <summary>Fills every unknown node with the values of the nearest valid node (Euclidean, index space).</summary>
    public static void ExtrapolateNearest(Span<float> a, Span<float> b, int width, int height)
    {
        int n = width * height;
        var valid = ArrayPool<bool>.Shared.Rent(n);
        var nearest = ArrayPool<int>.Shared.Rent(n);
        try
        {
            int validCount = MarkValid(a, b, valid.AsSpan(0, n));
            if (validCount == 0 || validCount == n) return;
            NearestValid(valid.AsSpan(0, n), width, height, nearest.AsSpan(0, n));
            for (int k = 0; k < n; k++)
            {
                if (valid[k]) continue;
                a[k] = a[nearest[k]];
                b[k] = b[nearest[k]];
            }
        }
        finally
        {
            ArrayPool<bool>.Shared.Return(valid);
            ArrayPool<int>.Shared.Return(nearest);
        }
    }

    /// <summary>Valid = both channels finite; returns the count.</summary>
    public static int MarkValid(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<bool> valid)
    {
        int count = 0;
        for (int k = 0; k < valid.Length; k++)
        {
            valid[k] = float.IsFinite(a[k]) && float.IsFinite(b[k]);
            if (valid[k]) count++;
        }
        return count;
    }

    /// <summary>
    /// For each node, the index of the nearest valid node by Euclidean distance in index space, or −1
    /// when there is none (exact distance transform with feature tracking, Felzenszwalb–Huttenlocher).
    /// </summary>
    public static void NearestValid(ReadOnlySpan<bool> valid, int width, int height, Span<int> nearest)
    {
        int n = width * height;
        var rowOf = ArrayPool<int>.Shared.Rent(n);      // per node: row of the nearest valid node in its column
        var envelope = ArrayPool<int>.Shared.Rent(width);
        var bounds = ArrayPool<double>.Shared.Rent(width + 1);
        try
        {
            // Pass 1: nearest valid row within each column (two sweeps).
            for (int j = 0; j < width; j++)
            {
                int last = -1;
                for (int i = 0; i < height; i++)
                {
                    if (valid[i * width + j]) last = i;
                    rowOf[i * width + j] = last;
                }
                last = -1;
                for (int i = height - 1; i >= 0; i--)
                {
                    int k = i * width + j;
                    if (valid[k]) last = i;
                    if (last >= 0 && (rowOf[k] < 0 || last - i < i - rowOf[k])) rowOf[k] = last;
                }
            }

            // Pass 2: per row, the lower envelope of the parabolas (j − q)² + g(q)².
            for (int i = 0; i < height; i++)
            {
                int row = i * width;
                int count = 0;
                for (int q = 0; q < width; q++)
                {
                    if (rowOf[row + q] < 0) continue;
                    double fq = Square(i - rowOf[row + q]) + (double)q * q;
                    while (count > 0)
                    {
                        int p = envelope[count - 1];
                        double fp = Square(i - rowOf[row + p]) + (double)p * p;
                        double s = (fq - fp) / (2.0 * (q - p));
                        if (s > bounds[count - 1]) break;
                        count--;
                    }
                    if (count == 0)
                    {
                        envelope[0] = q;
                        bounds[0] = double.NegativeInfinity;
                        count = 1;
                    }
                    else
                    {
                        int p = envelope[count - 1];
                        double fp = Square(i - rowOf[row + p]) + (double)p * p;
                        envelope[count] = q;
                        bounds[count] = (fq - fp) / (2.0 * (q - p));
                        count++;
                    }
                }
                if (count == 0)
                {
                    nearest.Slice(row, width).Fill(-1);
                    continue;
                }
                int e = 0;
                for (int j = 0; j < width; j++)
                {
                    while (e + 1 < count && bounds[e + 1] < j) e++;
                    int q = envelope[e];
                    nearest[row + j] = rowOf[row + q] * width + q;
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rowOf);
            ArrayPool<int>.Shared.Return(envelope);
            ArrayPool<double>.Shared.Return(bounds);
        }
    }

    private static double Square(int v) => (double)v * v;

    /// <summary>
    /// Convex hull of the valid nodes as (row, column) pairs in counter-clockwise order (Andrew's
    /// monotone chain, exact integer arithmetic). Only each row's outermost valid nodes can be hull
    /// vertices, so only those are considered. Collinear points are dropped; fewer than 3 vertices
    /// means a degenerate hull.
    /// </summary>
    internal static (int I, int J)[] ConvexHull(ReadOnlySpan<bool> valid, int width, int height)
    {
        var points = new List<(int I, int J)>();
        for (int i = 0; i < height; i++)
        {
            int first = -1, last = -1;
            for (int j = 0; j < width; j++)
            {
                if (!valid[i * width + j]) continue;
                if (first < 0) first = j;
                last = j;
            }
            if (first < 0) continue;
            points.Add((i, first));
            if (last != first) points.Add((i, last));
        }
        if (points.Count < 3) return [];
        // Already sorted by (row, column).
        var hull = new (int I, int J)[2 * points.Count];
        int m = 0;
        for (int p = 0; p < points.Count; p++)
        {
            while (m >= 2 && Cross(hull[m - 2], hull[m - 1], points[p]) <= 0) m--;
            hull[m++] = points[p];
        }
        for (int p = points.Count - 2, lower = m + 1; p >= 0; p--)
        {
            while (m >= lower && Cross(hull[m - 2], hull[m - 1], points[p]) <= 0) m--;
            hull[m++] = points[p];
        }
        m--; // the last point repeats the first
        return m < 3 ? [] : hull[..m];
    }

    private static long Cross((int I, int J) o, (int I, int J) a, (int I, int J) b) =>
        (long)(a.I - o.I) * (b.J - o.J) - (long)(a.J - o.J) * (b.I - o.I);

    /// <summary>Inside or on the boundary of a counter-clockwise convex hull.</summary>
    internal static bool InsideHull((int I, int J)[] hull, int i, int j)
    {
        for (int e = 0; e < hull.Length; e++)
        {
            var p = hull[e];
            var q = hull[(e + 1) % hull.Length];
            if (Cross(p, q, (i, j)) < 0) return false;
        }
        return true;
    }

    /// <summary>
    /// Solves the graph Laplace equation over the unknowns (8-neighbour stencil, axis weight 1,
    /// diagonal 1/2) with the valid nodes as fixed values; nodes outside the hull and outside the grid
    /// are left out of the stencil (zero-flux border). Conjugate gradients, two right-hand sides.
    /// Unknowns in a component that touches no valid node (possible only in sliver hulls) take the
    /// value of the nearest valid node.
    /// </summary>
    private static void SolveHarmonic(Span<float> a, Span<float> b, int width, int height, ReadOnlySpan<bool> valid,
        ReadOnlySpan<int> unknownIndex, List<int> unknowns, ReadOnlySpan<int> nearest)
    {
        int m = unknowns.Count;
        var neighbour = new int[m * 8];
        var weight = new float[m * 8];
        var diag = new double[m];
        var rhsA = new double[m];
        var rhsB = new double[m];
        var anchored = new bool[m];
        for (int u = 0; u < m; u++)
        {
            int k = unknowns[u];
            int i = k / width, j = k % width;
            for (int t = 0; t < 8; t++)
            {
                neighbour[u * 8 + t] = -1;
                int ni = i + NeighbourDi[t], nj = j + NeighbourDj[t];
                if ((uint)ni >= (uint)height || (uint)nj >= (uint)width) continue;
                int nk = ni * width + nj;
                float w = t < 4 ? 1f : DiagonalWeight;
                if (valid[nk])
                {
                    diag[u] += w;
                    rhsA[u] += w * a[nk];
                    rhsB[u] += w * b[nk];
                    anchored[u] = true;
                }
                else if (unknownIndex[nk] >= 0)
                {
                    diag[u] += w;
                    neighbour[u * 8 + t] = unknownIndex[nk];
                    weight[u * 8 + t] = w;
                }
            }
        }

        // Components without a fixed node have no unique solution: give them the nearest valid value.
        var active = new bool[m];
        var stack = new Stack<int>();
        var component = new List<int>();
        var seen = new bool[m];
        for (int start = 0; start < m; start++)
        {
            if (seen[start]) continue;
            component.Clear();
            bool hasAnchor = false;
            stack.Push(start);
            seen[start] = true;
            while (stack.Count > 0)
            {
                int u = stack.Pop();
                component.Add(u);
                hasAnchor |= anchored[u];
                for (int t = 0; t < 8; t++)
                {
                    int v = neighbour[u * 8 + t];
                    if (v >= 0 && !seen[v])
                    {
                        seen[v] = true;
                        stack.Push(v);
                    }
                }
            }
            foreach (int u in component) active[u] = hasAnchor;
        }

        var x = new double[m];
        for (int channel = 0; channel < 2; channel++)
        {
            var values = channel == 0 ? a : b;
            var rhs = channel == 0 ? rhsA : rhsB;
            for (int u = 0; u < m; u++) x[u] = values[nearest[unknowns[u]]];
            ConjugateGradient(x, rhs, diag, neighbour, weight, active);
            for (int u = 0; u < m; u++) values[unknowns[u]] = (float)x[u];
        }
    }

    /// <summary>CG on the active unknowns of the symmetric positive definite Laplacian system; x holds the start.</summary>
    private static void ConjugateGradient(double[] x, double[] rhs, double[] diag, int[] neighbour, float[] weight, bool[] active)
    {
        int m = x.Length;
        var r = new double[m];
        var p = new double[m];
        var ap = new double[m];
        Apply(x, r, diag, neighbour, weight, active);
        double rr = 0, bb = 0;
        for (int u = 0; u < m; u++)
        {
            if (!active[u]) continue;
            r[u] = rhs[u] - r[u];
            p[u] = r[u];
            rr += r[u] * r[u];
            bb += rhs[u] * rhs[u];
        }
        double tolerance = 1e-20 * Math.Max(bb, 1e-30);
        int maxIterations = 20 * (int)Math.Sqrt(m) + 200;
        for (int iteration = 0; iteration < maxIterations && rr > tolerance; iteration++)
        {
            Apply(p, ap, diag, neighbour, weight, active);
            double pap = 0;
            for (int u = 0; u < m; u++) pap += p[u] * ap[u];
            if (pap <= 0) break;
            double alpha = rr / pap;
            double rrNew = 0;
            for (int u = 0; u < m; u++)
            {
                if (!active[u]) continue;
                x[u] += alpha * p[u];
                r[u] -= alpha * ap[u];
                rrNew += r[u] * r[u];
            }
            double beta = rrNew / rr;
            rr = rrNew;
            for (int u = 0; u < m; u++)
                if (active[u]) p[u] = r[u] + beta * p[u];
        }
    }

    private static void Apply(double[] x, double[] result, double[] diag, int[] neighbour, float[] weight, bool[] active)
    {
        for (int u = 0; u < x.Length; u++)
        {
            if (!active[u])
            {
                result[u] = 0;
                continue;
            }
            double sum = diag[u] * x[u];
            for (int t = 0; t < 8; t++)
            {
                int v = neighbour[u * 8 + t];
                if (v >= 0) sum -= weight[u * 8 + t] * x[v];
            }
            result[u] = sum;
        }
    }
}

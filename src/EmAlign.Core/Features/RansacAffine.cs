using EmAlign.Transforms;

namespace EmAlign.Features;

/// <summary>How <see cref="RansacAffine.Fit"/> searches (bigstream part A.6, plus a least-squares refit).</summary>
public sealed record RansacOptions
{
    /// <summary>Inlier distance in the points' physical units: |A p + t - q| must not exceed it.</summary>
    public required double Threshold { get; init; }

    /// <summary>Upper bound on random samples; the count drops as better models raise the inlier ratio.</summary>
    public int MaxIterations { get; init; } = 10_000;

    /// <summary>Probability that at least one sample is all inliers when the search stops early.</summary>
    public double Confidence { get; init; } = 0.999;

    /// <summary>Seed of the sample generator: the same input and seed give the same result.</summary>
    public int Seed { get; init; }

    /// <summary>Fit a 2D affine in x, y (3-point samples) and keep z: for points on one plane.</summary>
    public bool Planar { get; init; }
}

/// <param name="Transform">The affine mapping fixed points to moving points (refit on all inliers).</param>
/// <param name="Inliers">Per match, whether it is an inlier of <paramref name="Transform"/>.</param>
/// <param name="InlierCount">Number of inliers.</param>
/// <param name="Iterations">Samples drawn.</param>
/// <param name="RmsResidual">Root-mean-square inlier distance after the refit, physical units.</param>
public sealed record RansacResult(AffineTransform3D Transform, bool[] Inliers, int InlierCount, int Iterations, double RmsResidual);

/// <summary>
/// Robust 12-parameter affine from point correspondences: random minimal samples (4 points in 3D, 3 when planar) solved
/// exactly, squared-distance inlier test, adaptive iteration count (bigstream/OpenCV's rule with confidence 0.999), then
/// — unlike bigstream, which returns the best minimal model — a least-squares refit on all inliers, repeated until the
/// inlier set is stable. Coordinates are centred internally for conditioning.
/// </summary>
public static class RansacAffine
{
    /// <summary>Returns null when fewer matches than a minimal sample exist or every sample is degenerate.</summary>
    public static RansacResult? Fit(IReadOnlyList<(double X, double Y, double Z)> fixedPoints, IReadOnlyList<(double X, double Y, double Z)> movingPoints,
        RansacOptions options, string unit)
    {
        ArgumentNullException.ThrowIfNull(options);
        int n = fixedPoints.Count;
        if (movingPoints.Count != n) throw new ArgumentException($"{n} fixed points but {movingPoints.Count} moving points.", nameof(movingPoints));
        int s = options.Planar ? 3 : 4;
        if (n < s) return null;

        // Centre both point sets; the model is solved for centred coordinates and shifted back at the end.
        var (cf, cm) = (Centroid(fixedPoints), Centroid(movingPoints));
        var p = new double[3 * n];
        var q = new double[3 * n];
        for (int i = 0; i < n; i++)
        {
            p[3 * i] = fixedPoints[i].X - cf.X; p[3 * i + 1] = fixedPoints[i].Y - cf.Y; p[3 * i + 2] = fixedPoints[i].Z - cf.Z;
            q[3 * i] = movingPoints[i].X - cm.X; q[3 * i + 1] = movingPoints[i].Y - cm.Y; q[3 * i + 2] = movingPoints[i].Z - cm.Z;
        }
        double t2 = options.Threshold * options.Threshold;
        var rng = new Random(options.Seed);
        var sample = new int[s];
        var model = new double[12];
        double[]? best = null;
        int bestCount = 0;
        long limit = options.MaxIterations;
        int iterations = 0;
        for (; iterations < limit; iterations++)
        {
            bool solved = false;
            for (int attempt = 0; attempt < 100 && !solved; attempt++)
            {
                Draw(rng, n, sample);
                solved = SolveMinimal(p, q, sample, options.Planar, model);
            }
            if (!solved) continue;
            int count = CountInliers(model, p, q, n, t2, null);
            if (count <= bestCount) continue;
            bestCount = count;
            best = (double[])model.Clone();
            double w = (double)count / n;
            double fail = 1 - Math.Pow(w, s);
            if (fail <= 0) { limit = iterations + 1; continue; }
            if (fail >= 1) continue; // w^s below double precision: no estimate, keep the cap
            double needed = Math.Log(1 - options.Confidence) / Math.Log(fail);
            if (needed < limit) limit = Math.Max(iterations + 1, (long)Math.Ceiling(needed));
        }
        if (best is null) return null;

        var inliers = new bool[n];
        int inlierCount = CountInliers(best, p, q, n, t2, inliers);
        for (int round = 0; round < 10 && inlierCount >= s; round++)
        {
            var refit = new double[12];
            if (!LeastSquares(p, q, inliers, options.Planar, refit)) break;
            var next = new bool[n];
            int nextCount = CountInliers(refit, p, q, n, t2, next);
            if (nextCount < s) break;
            bool same = next.AsSpan().SequenceEqual(inliers);
            best = refit; inliers = next; inlierCount = nextCount;
            if (same) break;
        }
        double sum = 0;
        for (int i = 0; i < n; i++) if (inliers[i]) sum += Residual2(best, p, q, i);
        double rms = inlierCount > 0 ? Math.Sqrt(sum / inlierCount) : double.NaN;

        // Un-centre: q + cm = A (p + cf - cf) + t + cm  =>  t' = t + cm - A cf.
        var m = (double[])best.Clone();
        for (int r = 0; r < 3; r++)
            m[4 * r + 3] = best[4 * r + 3] + (r == 0 ? cm.X : r == 1 ? cm.Y : cm.Z) - (best[4 * r] * cf.X + best[4 * r + 1] * cf.Y + best[4 * r + 2] * cf.Z);
        return new RansacResult(new AffineTransform3D(m, unit), inliers, inlierCount, iterations, rms);
    }

    private static (double X, double Y, double Z) Centroid(IReadOnlyList<(double X, double Y, double Z)> pts)
    {
        double x = 0, y = 0, z = 0;
        foreach (var v in pts) { x += v.X; y += v.Y; z += v.Z; }
        return pts.Count == 0 ? (0, 0, 0) : (x / pts.Count, y / pts.Count, z / pts.Count);
    }

    private static void Draw(Random rng, int n, int[] sample)
    {
        for (int i = 0; i < sample.Length; i++)
        {
            int v;
            do v = rng.Next(n); while (Array.IndexOf(sample, v, 0, i) >= 0);
            sample[i] = v;
        }
    }

    private static double Residual2(double[] m, double[] p, double[] q, int i)
    {
        double x = p[3 * i], y = p[3 * i + 1], z = p[3 * i + 2];
        double dx = m[0] * x + m[1] * y + m[2] * z + m[3] - q[3 * i];
        double dy = m[4] * x + m[5] * y + m[6] * z + m[7] - q[3 * i + 1];
        double dz = m[8] * x + m[9] * y + m[10] * z + m[11] - q[3 * i + 2];
        return dx * dx + dy * dy + dz * dz;
    }

    private static int CountInliers(double[] m, double[] p, double[] q, int n, double t2, bool[]? mask)
    {
        int count = 0;
        for (int i = 0; i < n; i++)
        {
            bool inside = Residual2(m, p, q, i) <= t2;
            if (inside) count++;
            if (mask is not null) mask[i] = inside;
        }
        return count;
    }

    /// <summary>Exact model through the sample; false when the sample is (nearly) coplanar (collinear when planar).</summary>
    private static bool SolveMinimal(double[] p, double[] q, int[] sample, bool planar, double[] model)
    {
        int d = planar ? 3 : 4;
        Span<double> a = stackalloc double[16];
        Span<double> rhs = stackalloc double[12];
        double scale = 0;
        for (int r = 0; r < d; r++)
        {
            int i = sample[r];
            a[r * d] = p[3 * i]; a[r * d + 1] = p[3 * i + 1];
            if (planar) a[r * d + 2] = 1;
            else { a[r * d + 2] = p[3 * i + 2]; a[r * d + 3] = 1; }
            for (int c = 0; c < 3; c++) rhs[r * 3 + c] = q[3 * i + c];
            for (int r2 = 0; r2 < r; r2++)
            {
                int j = sample[r2];
                double dd = Math.Sqrt(Sq(p[3 * i] - p[3 * j]) + Sq(p[3 * i + 1] - p[3 * j + 1]) + (planar ? 0 : Sq(p[3 * i + 2] - p[3 * j + 2])));
                scale = Math.Max(scale, dd);
            }
        }
        if (!(scale > 0)) return false;
        // Reject thin samples: the simplex volume (area) relative to its longest edge.
        double det = Determinant(a, d);
        double volume = Math.Abs(det) / (planar ? 2 : 6);
        double reference = planar ? scale * scale : scale * scale * scale;
        if (volume < 1e-3 * reference) return false;
        if (!SolveInPlace(a, rhs, d, 3)) return false;
        Array.Clear(model);
        for (int c = 0; c < 3; c++)
        {
            if (planar && c == 2) { model[10] = 1; continue; }
            model[4 * c] = rhs[c];
            model[4 * c + 1] = rhs[3 + c];
            if (planar) model[4 * c + 3] = rhs[6 + c];
            else { model[4 * c + 2] = rhs[6 + c]; model[4 * c + 3] = rhs[9 + c]; }
        }
        return true;
    }

    /// <summary>Least-squares affine on the masked points via the normal equations (d = 4, or 3 when planar).</summary>
    private static bool LeastSquares(double[] p, double[] q, bool[] mask, bool planar, double[] model)
    {
        int d = planar ? 3 : 4;
        Span<double> ata = stackalloc double[16];
        Span<double> atb = stackalloc double[12];
        Span<double> row = stackalloc double[4];
        ata.Clear(); atb.Clear();
        for (int i = 0; i < mask.Length; i++)
        {
            if (!mask[i]) continue;
            row[0] = p[3 * i]; row[1] = p[3 * i + 1];
            if (planar) row[2] = 1; else { row[2] = p[3 * i + 2]; row[3] = 1; }
            for (int r = 0; r < d; r++)
            {
                for (int c = 0; c < d; c++) ata[r * d + c] += row[r] * row[c];
                for (int c = 0; c < 3; c++) atb[r * 3 + c] += row[r] * q[3 * i + c];
            }
        }
        if (!SolveInPlace(ata, atb, d, 3)) return false;
        Array.Clear(model);
        for (int c = 0; c < 3; c++)
        {
            if (planar && c == 2) { model[10] = 1; continue; }
            model[4 * c] = atb[c];
            model[4 * c + 1] = atb[3 + c];
            if (planar) model[4 * c + 3] = atb[6 + c];
            else { model[4 * c + 2] = atb[6 + c]; model[4 * c + 3] = atb[9 + c]; }
        }
        foreach (var v in model) if (!double.IsFinite(v)) return false;
        return true;
    }

    /// <summary>Solves A X = B (A d×d, B d×k, row-major) by Gaussian elimination with partial pivoting; X replaces B.</summary>
    private static bool SolveInPlace(Span<double> a, Span<double> b, int d, int k)
    {
        double norm = 0;
        for (int i = 0; i < d * d; i++) norm = Math.Max(norm, Math.Abs(a[i]));
        if (!(norm > 0)) return false;
        for (int col = 0; col < d; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < d; r++) if (Math.Abs(a[r * d + col]) > Math.Abs(a[pivot * d + col])) pivot = r;
            if (Math.Abs(a[pivot * d + col]) < 1e-13 * norm) return false;
            if (pivot != col)
            {
                for (int c = 0; c < d; c++) (a[col * d + c], a[pivot * d + c]) = (a[pivot * d + c], a[col * d + c]);
                for (int c = 0; c < k; c++) (b[col * k + c], b[pivot * k + c]) = (b[pivot * k + c], b[col * k + c]);
            }
            for (int r = 0; r < d; r++)
            {
                if (r == col) continue;
                double f = a[r * d + col] / a[col * d + col];
                if (f == 0) continue;
                for (int c = col; c < d; c++) a[r * d + c] -= f * a[col * d + c];
                for (int c = 0; c < k; c++) b[r * k + c] -= f * b[col * k + c];
            }
        }
        for (int r = 0; r < d; r++)
            for (int c = 0; c < k; c++) b[r * k + c] /= a[r * d + r];
        return true;
    }

    private static double Determinant(ReadOnlySpan<double> a, int d)
    {
        Span<double> m = stackalloc double[16];
        a[..(d * d)].CopyTo(m);
        double det = 1;
        for (int col = 0; col < d; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < d; r++) if (Math.Abs(m[r * d + col]) > Math.Abs(m[pivot * d + col])) pivot = r;
            if (m[pivot * d + col] == 0) return 0;
            if (pivot != col) { det = -det; for (int c = 0; c < d; c++) (m[col * d + c], m[pivot * d + c]) = (m[pivot * d + c], m[col * d + c]); }
            det *= m[col * d + col];
            for (int r = col + 1; r < d; r++)
            {
                double f = m[r * d + col] / m[col * d + col];
                for (int c = col; c < d; c++) m[r * d + c] -= f * m[col * d + c];
            }
        }
        return det;
    }

    private static double Sq(double v) => v * v;
}

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EmAlign.Flow;

/// <summary>How the integer correlation peak is refined to sub-pixel precision (not part of SOFIMA).</summary>
public enum SubPixelRefinement
{
    /// <summary>Integer peak position, as SOFIMA.</summary>
    None,

    /// <summary>Separable 3-point parabola through the peak and its x and y neighbours.</summary>
    Parabolic,

    /// <summary>Separable 3-point Gaussian fit (parabola through the logarithms); needs positive neighbours, else parabolic.</summary>
    Gaussian,
}

/// <summary>The statistics of one correlation surface (see <see cref="PeakFinder"/>).</summary>
internal readonly record struct PeakResult(bool Found, int X, int Y, float SubX, float SubY, float Sharpness, float Ratio);

/// <summary>
/// Peak detection on a correlation surface, following SOFIMA's rules: local maxima over a
/// (2 minDistance + 1)^2 window (outside counts as 0) that exceed 0.5 of the surface maximum are candidates;
/// peak 1 is the maximum (first in row-major order on ties), peak 2 the largest other candidate.
/// Sharpness = C(peak 1) / min of C over the (2 radius + 1)^2 window centred on peak 1, shifted to fit inside.
/// Ratio = C(peak 1) / C(peak 2), or 0 without a second candidate. No candidate (max &lt;= 0 or not finite):
/// not found. Statistics are per surface (SOFIMA shares peak-1 exclusions across a batch; we do not).
/// </summary>
internal static unsafe class PeakFinder
{
    public const float ThresholdRel = 0.5f;

    /// <param name="laneMax">
    /// Optional: per row, 8 floats whose maximum is the row's maximum (collected while the surface was written),
    /// so the surface is read once instead of twice. Null: computed here.
    /// </param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static PeakResult Find(float* c, int height, int width, int stride, int minDistance, int radiusX, int radiusY, SubPixelRefinement refine, float* laneMax = null)
    {
        // Row maxima: peak 1 is in the first row holding the global maximum; rows whose maximum is at or below
        // the candidate threshold need no further look.
        float[]? rented = height > 2048 ? System.Buffers.ArrayPool<float>.Shared.Rent(height) : null;
        Span<float> rowMax = rented ?? stackalloc float[height];
        try
        {
            float best = float.NegativeInfinity;
            int bestRow = -1;
            for (int y = 0; y < height; y++)
            {
                float m = laneMax is null ? RowMax(c + (long)y * stride, width) : HorizontalMax(Vector256.Load(laneMax + 8L * y));
                rowMax[y] = m;
                if (m > best) { best = m; bestRow = y; }
            }
            if (!(best > 0) || !float.IsFinite(best)) return default;
            return Peaks(c, height, width, stride, minDistance, radiusX, radiusY, refine, rowMax[..height], best, bestRow);
        }
        finally
        {
            if (rented is not null) System.Buffers.ArrayPool<float>.Shared.Return(rented);
        }
    }

    private static PeakResult Peaks(float* c, int height, int width, int stride, int minDistance, int radiusX, int radiusY, SubPixelRefinement refine,
        ReadOnlySpan<float> rowMax, float best, int bestRow)
    {
        float* r = c + (long)bestRow * stride;
        int bestCol = 0;
        while (bestCol < width - 1 && r[bestCol] != best) bestCol++;

        // Peak 2: largest candidate other than peak 1. A value at or below the best so far cannot change the ratio,
        // so the local-maximum test runs only for values above it.
        float thr = ThresholdRel * best, second = float.NegativeInfinity;
        bool haveSecond = false;
        var vthr = Vector256.Create(thr);
        for (int y = 0; y < height; y++)
        {
            if (!(rowMax[y] > thr)) continue;
            float* row = c + (long)y * stride;
            int x = 0;
            for (; x + 8 <= width; x += 8)
            {
                uint bits = Vector256.GreaterThan(Vector256.Load(row + x), vthr).ExtractMostSignificantBits();
                while (bits != 0)
                {
                    int xx = x + BitOperations.TrailingZeroCount(bits);
                    bits &= bits - 1;
                    Consider(c, height, width, stride, minDistance, y, xx, bestRow, bestCol, ref second, ref haveSecond);
                }
            }
            for (; x < width; x++)
                if (row[x] > thr) Consider(c, height, width, stride, minDistance, y, x, bestRow, bestCol, ref second, ref haveSecond);
        }

        // Sharpness window, shifted (not cut) to fit inside the surface.
        int wx = Math.Min(2 * radiusX + 1, width), wy = Math.Min(2 * radiusY + 1, height);
        int x0 = Math.Clamp(bestCol - radiusX, 0, width - wx), y0 = Math.Clamp(bestRow - radiusY, 0, height - wy);
        float min = float.PositiveInfinity;
        for (int y = y0; y < y0 + wy; y++)
            for (int x = x0; x < x0 + wx; x++) min = Math.Min(min, c[(long)y * stride + x]);

        float subX = 0, subY = 0;
        if (refine != SubPixelRefinement.None)
        {
            subX = Refine(bestCol > 0 ? r[bestCol - 1] : float.NaN, best, bestCol + 1 < width ? r[bestCol + 1] : float.NaN, refine);
            subY = Refine(bestRow > 0 ? r[bestCol - stride] : float.NaN, best, bestRow + 1 < height ? r[bestCol + stride] : float.NaN, refine);
        }
        return new PeakResult(true, bestCol, bestRow, subX, subY, best / min, haveSecond ? best / second : 0f);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Consider(float* c, int height, int width, int stride, int d, int y, int x, int py, int px, ref float second, ref bool have)
    {
        if (y == py && x == px) return;
        float v = c[(long)y * stride + x];
        if (have && v <= second) return;
        // Local maximum: no neighbour in the window is larger (outside the surface counts as 0 < v).
        int ya = Math.Max(0, y - d), yb = Math.Min(height - 1, y + d), xa = Math.Max(0, x - d), xb = Math.Min(width - 1, x + d);
        for (int yy = ya; yy <= yb; yy++)
        {
            float* row = c + (long)yy * stride;
            for (int xx = xa; xx <= xb; xx++)
                if (row[xx] > v) return;
        }
        second = v;
        have = true;
    }

    private static float RowMax(float* row, int width)
    {
        int x = 0;
        float m = float.NegativeInfinity;
        if (width >= 8)
        {
            var vm = Vector256.Load(row);
            for (x = 8; x + 8 <= width; x += 8) vm = Vector256.Max(vm, Vector256.Load(row + x));
            // Tail: an overlapping last load keeps it vectorised.
            if (x < width) vm = Vector256.Max(vm, Vector256.Load(row + width - 8));
            return HorizontalMax(vm);
        }
        for (; x < width; x++) m = Math.Max(m, row[x]);
        return m;
    }

    private static float HorizontalMax(Vector256<float> v)
    {
        var m = Vector128.Max(v.GetLower(), v.GetUpper());
        return Math.Max(Math.Max(m.GetElement(0), m.GetElement(1)), Math.Max(m.GetElement(2), m.GetElement(3)));
    }

    /// <summary>Offset of the vertex of a 3-point fit through (-1, a), (0, b), (1, c), within [-0.5, 0.5]; 0 where undefined.</summary>
    internal static float Refine(float a, float b, float c, SubPixelRefinement method)
    {
        if (!float.IsFinite(a) || !float.IsFinite(c)) return 0f;
        if (method == SubPixelRefinement.Gaussian && a > 0 && b > 0 && c > 0)
        {
            double la = Math.Log(a), lb = Math.Log(b), lc = Math.Log(c), den = la - 2 * lb + lc;
            if (den < 0) return (float)Math.Clamp(0.5 * (la - lc) / den, -0.5, 0.5);
        }
        double d = (double)a - 2.0 * b + c;
        return d < 0 ? (float)Math.Clamp(0.5 * ((double)a - c) / d, -0.5, 0.5) : 0f;
    }
}

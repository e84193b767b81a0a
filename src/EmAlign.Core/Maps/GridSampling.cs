namespace EmAlign.Maps;

/// <summary>Bilinear sampling of a node plane ([y][x], x fastest) at fractional node indices.</summary>
internal static class GridSampling
{
    /// <summary>Indices this close outside the grid still count as on it (rounding of pixel ↔ node conversions).</summary>
    private const double Tolerance = 1e-6;

    /// <summary>
    /// Samples two channels at fractional index (<paramref name="fx"/>, <paramref name="fy"/>).
    /// With <paramref name="clamp"/> the index is clamped to the grid (constant extension of the values);
    /// otherwise a point off the grid gives false. Only corners with non-zero weight are read, so a NaN
    /// node next to an exact hit does not spread; a NaN corner with weight gives false. The lerp form
    /// a + t·(b − a) keeps constant fields exact.
    /// </summary>
    public static bool Bilinear(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int width, int height,
        double fx, double fy, bool clamp, out double va, out double vb)
    {
        va = vb = double.NaN;
        if (!Locate(fx, width, clamp, out int j0, out double tx) || !Locate(fy, height, clamp, out int i0, out double ty))
            return false;
        int k = i0 * width + j0;
        if (!Lerp2(a, b, k, tx, width > 1 ? 1 : 0, out double a0, out double b0)) return false;
        if (ty == 0)
        {
            va = a0;
            vb = b0;
            return true;
        }
        if (!Lerp2(a, b, k + width, tx, width > 1 ? 1 : 0, out double a1, out double b1)) return false;
        if (ty == 1)
        {
            va = a1;
            vb = b1;
            return true;
        }
        va = a0 + ty * (a1 - a0);
        vb = b0 + ty * (b1 - b0);
        return true;
    }

    /// <summary>The cell start and fraction of index <paramref name="f"/> on an axis of <paramref name="n"/> nodes.</summary>
    private static bool Locate(double f, int n, bool clamp, out int i0, out double t)
    {
        i0 = 0;
        t = 0;
        if (double.IsNaN(f)) return false;
        if (clamp) f = Math.Clamp(f, 0, n - 1);
        else if (f < -Tolerance || f > n - 1 + Tolerance) return false;
        else f = Math.Clamp(f, 0, n - 1);
        if (n == 1) return true;
        i0 = Math.Min((int)Math.Floor(f), n - 2);
        t = f - i0;
        return true;
    }

    private static bool Lerp2(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int k, double t, int step, out double va, out double vb)
    {
        va = vb = double.NaN;
        if (t == 0 || step == 0)
        {
            va = a[k];
            vb = b[k];
        }
        else if (t == 1)
        {
            va = a[k + step];
            vb = b[k + step];
        }
        else
        {
            double a0 = a[k], b0 = b[k];
            va = a0 + t * (a[k + step] - a0);
            vb = b0 + t * (b[k + step] - b0);
        }
        return double.IsFinite(va) && double.IsFinite(vb);
    }
}

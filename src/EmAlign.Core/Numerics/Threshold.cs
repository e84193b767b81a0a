namespace EmAlign.Numerics;

/// <summary>Global intensity thresholds.</summary>
public static class Threshold
{
    /// <summary>
    /// Otsu's threshold: the value that maximises the between-class variance of a 256-bin histogram
    /// spanning the finite values' range. Voxels above it are foreground.
    /// </summary>
    public static double Otsu(ReadOnlySpan<float> values, int bins = 256)
    {
        float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
        foreach (var v in values)
            if (float.IsFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
        if (!(hi > lo)) return lo;
        var hist = new long[bins];
        double scale = (bins - 1) / (double)(hi - lo);
        long n = 0;
        foreach (var v in values)
            if (float.IsFinite(v)) { hist[(int)((v - lo) * scale)]++; n++; }
        double total = 0;
        for (int i = 0; i < bins; i++) total += i * (double)hist[i];
        double sumB = 0, best = -1;
        long wB = 0;
        int bestBin = 0;
        for (int t = 0; t < bins; t++)
        {
            wB += hist[t];
            if (wB == 0) continue;
            long wF = n - wB;
            if (wF == 0) break;
            sumB += t * (double)hist[t];
            double mB = sumB / wB, mF = (total - sumB) / wF;
            double between = (double)wB * wF * (mB - mF) * (mB - mF);
            if (between > best) { best = between; bestBin = t; }
        }
        // Upper edge of the last background bin.
        return lo + (bestBin + 1) / scale;
    }
}

namespace EmAlign.Numerics;

/// <summary>Median filters on 2D float planes (row-major, x fastest).</summary>
public static class MedianFilter
{
    /// <summary>
    /// 3x3 median with scipy's 'reflect' border (the edge sample repeats: d c b a | a b c d).
    /// NaN is not treated specially: replace it first if it must not propagate.
    /// </summary>
    public static void Median3x3(ReadOnlySpan<float> src, int width, int height, Span<float> dst)
    {
        if (src.Length != width * height || dst.Length != src.Length)
            throw new ArgumentException($"Planes must hold {width} x {height} values; got {src.Length} and {dst.Length}.");
        Span<float> w = stackalloc float[9];
        for (int y = 0; y < height; y++)
        {
            int y0 = Math.Max(y - 1, 0), y2 = Math.Min(y + 1, height - 1);
            for (int x = 0; x < width; x++)
            {
                int x0 = Math.Max(x - 1, 0), x2 = Math.Min(x + 1, width - 1);
                int k = 0;
                foreach (int yy in (ReadOnlySpan<int>)[y0, y, y2])
                    foreach (int xx in (ReadOnlySpan<int>)[x0, x, x2])
                        w[k++] = src[yy * width + xx];
                w.Sort();
                dst[y * width + x] = w[4];
            }
        }
    }
}

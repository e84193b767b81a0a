namespace EmAlign.Numerics;

/// <summary>Downsampling of 2D planes by block averaging.</summary>
public static class AreaDownsample
{
    /// <summary>
    /// Mean of each <paramref name="factor"/> x <paramref name="factor"/> block. The result is
    /// floor(W / factor) x floor(H / factor); a partial last row or column of blocks is dropped.
    /// Output pixel (u, v) covers input pixels [u f, u f + f) x [v f, v f + f).
    /// </summary>
    public static Image2D<float> Apply(Image2D<float> image, int factor)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (factor < 1) throw new ArgumentOutOfRangeException(nameof(factor), factor, "Factor must be at least 1.");
        int w = image.Width / factor, h = image.Height / factor;
        var result = new Image2D<float>(w, h);
        float inv = 1f / (factor * factor);
        Parallel.For(0, h, v =>
        {
            var acc = new float[w];
            for (int dy = 0; dy < factor; dy++)
            {
                var row = image.Row(v * factor + dy);
                for (int u = 0; u < w; u++)
                    for (int dx = 0; dx < factor; dx++) acc[u] += row[u * factor + dx];
            }
            var dst = result.Row(v);
            for (int u = 0; u < w; u++) dst[u] = acc[u] * inv;
        });
        return result;
    }
}

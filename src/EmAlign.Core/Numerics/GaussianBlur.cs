namespace EmAlign.Numerics;

/// <summary>Separable Gaussian smoothing of 2D float images (row-major, x fastest), mirrored borders.</summary>
public static class GaussianBlur
{
    /// <summary>Blurs <paramref name="image"/> (width x height) in place with standard deviation <paramref name="sigma"/> pixels.</summary>
    public static void Apply(Span<float> image, int width, int height, double sigma)
    {
        if (sigma <= 0 || width == 0 || height == 0) return;
        var kernel = Kernel(sigma);
        var data = image.ToArray();
        var tmp = new float[data.Length];
        Parallel.For(0, height, y => Convolve1D(data.AsSpan(y * width, width), tmp.AsSpan(y * width, width), kernel));
        // Columns: convolve strided data by processing transposed blocks is overkill at the sizes this serves.
        Parallel.For(0, width, x => ConvolveColumn(tmp, data, width, height, x, kernel));
        data.CopyTo(image);
    }

    /// <summary>Normalised kernel of radius ceil(3 sigma).</summary>
    public static float[] Kernel(double sigma)
    {
        int r = Math.Max(1, (int)Math.Ceiling(3 * sigma));
        var k = new float[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) sum += k[i + r] = (float)Math.Exp(-0.5 * i * i / (sigma * sigma));
        for (int i = 0; i < k.Length; i++) k[i] = (float)(k[i] / sum);
        return k;
    }

    private static int Mirror(int i, int n) => n == 1 ? 0 : i < 0 ? Math.Min(-i - 1, n - 1) : i >= n ? Math.Max(2 * n - i - 1, 0) : i;

    private static void Convolve1D(ReadOnlySpan<float> src, Span<float> dst, float[] k)
    {
        int r = k.Length / 2, n = src.Length;
        for (int i = 0; i < n; i++)
        {
            float acc = 0;
            if (i >= r && i + r < n)
                for (int j = -r; j <= r; j++) acc += k[j + r] * src[i + j];
            else
                for (int j = -r; j <= r; j++) acc += k[j + r] * src[Mirror(i + j, n)];
            dst[i] = acc;
        }
    }

    private static void ConvolveColumn(float[] src, float[] dst, int width, int height, int x, float[] k)
    {
        int r = k.Length / 2;
        for (int y = 0; y < height; y++)
        {
            float acc = 0;
            for (int j = -r; j <= r; j++) acc += k[j + r] * src[Mirror(y + j, height) * width + x];
            dst[y * width + x] = acc;
        }
    }
}

using EmAlign.Flow;
using EmAlign.Numerics;

namespace EmAlign.Tests.Flow;

/// <summary>The FFT correlators against direct sums.</summary>
public unsafe class CorrelatorTests
{
    private static Image2D<float> RandomImage(int w, int h, int seed, float scale = 100, float offset = 50)
    {
        var rng = new Random(seed);
        var img = new Image2D<float>(w, h);
        for (int i = 0; i < img.Data.Length; i++) img.Data[i] = offset + scale * (float)rng.NextDouble();
        return img;
    }

    /// <summary>C[k] = sum_j a[j + k - (Nb - 1)] b[j] in double, for mean-removed patches.</summary>
    private static double[,] DirectSurface(Image2D<float> pre, int ax, int ay, int na, Image2D<float> post, int bx, int by, int nb)
    {
        var a = Patch(pre, ax, ay, na);
        var b = Patch(post, bx, by, nb);
        int k = na + nb - 1;
        var c = new double[k, k];
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++)
            {
                int sy = ky - (nb - 1), sx = kx - (nb - 1);
                double acc = 0;
                for (int y = 0; y < nb; y++)
                {
                    int yy = y + sy;
                    if ((uint)yy >= (uint)na) continue;
                    for (int x = 0; x < nb; x++)
                    {
                        int xx = x + sx;
                        if ((uint)xx < (uint)na) acc += a[yy, xx] * b[y, x];
                    }
                }
                c[ky, kx] = acc;
            }
        return c;
    }

    private static double[,] Patch(Image2D<float> img, int x0, int y0, int n)
    {
        var p = new double[n, n];
        double mean = 0;
        for (int y = 0; y < n; y++) for (int x = 0; x < n; x++) mean += p[y, x] = img[y0 + y, x0 + x];
        mean /= n * n;
        for (int y = 0; y < n; y++) for (int x = 0; x < n; x++) p[y, x] -= mean;
        return p;
    }

    [Theory]
    [InlineData(16, 16)]   // L = 32: pruned
    [InlineData(48, 16)]   // pre larger (search margin): L = 64, pre patch not prunable
    [InlineData(50, 50)]   // L = 100, not a multiple of 16
    [InlineData(40, 24)]
    [InlineData(15, 15)]   // odd sizes, L = 30
    [InlineData(4, 4)]     // L = 8: single-stage transforms
    [InlineData(3, 2)]     // L = 4
    [InlineData(2, 2)]     // L = 3, odd
    public void FastSurfaceEqualsTheDirectCorrelationUpToItsScale(int na, int nb)
    {
        var pre = RandomImage(97, 83, 1);
        var post = RandomImage(101, 89, 2);
        var corr = new FastCorrelator(na, nb);
        var ws = corr.Rent();
        // Several patches in the same band and in another band, so cached column transforms are reused.
        foreach (var (ax, ay, bx, by) in new[] { (3, 5, 7, 9), (20, 5, 33, 9), (1, 30, 2, 35), (97 - na, 83 - na, 101 - nb, 89 - nb) })
        {
            var pv = new ImageView(Pin(pre), pre.Width, pre.Height, 60f);
            var qv = new ImageView(Pin(post), post.Width, post.Height, 55f);
            Assert.True(corr.Correlate(ws, pv, ax, ay, qv, bx, by, null));
            var expected = DirectSurface(pre, ax, ay, na, post, bx, by, nb);
            int k = na + nb - 1;
            // Forward and inverse transforms are unscaled: the surface is L^2 times the correlation.
            double l2 = (double)corr.FftLength * corr.FftLength, maxAbs = 0, maxErr = 0;
            for (int y = 0; y < k; y++)
                for (int x = 0; x < k; x++)
                {
                    maxAbs = Math.Max(maxAbs, Math.Abs(expected[y, x]));
                    maxErr = Math.Max(maxErr, Math.Abs(ws.Surface[y * corr.SurfaceStride + x] / l2 - expected[y, x]));
                }
            Assert.True(maxErr <= 2e-5 * maxAbs, $"patch ({ax},{ay})/({bx},{by}): max error {maxErr:g3} of {maxAbs:g3}");
        }
        corr.Return(ws);
    }

    private static readonly Dictionary<float[], System.Runtime.InteropServices.GCHandle> Pins = new();

    private static float* Pin(Image2D<float> img)
    {
        lock (Pins)
        {
            if (!Pins.TryGetValue(img.Data, out var h)) Pins[img.Data] = h = System.Runtime.InteropServices.GCHandle.Alloc(img.Data, System.Runtime.InteropServices.GCHandleType.Pinned);
            return (float*)h.AddrOfPinnedObject();
        }
    }
}

using EmAlign.Numerics;

namespace EmAlign.Tests.Numerics;

public class FftTests
{
    /// <summary>Naive DFT in double precision: sign -1 forward, +1 inverse (unscaled).</summary>
    private static (double[] Re, double[] Im) NaiveDft(ReadOnlySpan<float> re, ReadOnlySpan<float> im, int sign)
    {
        int n = re.Length;
        var or = new double[n];
        var oi = new double[n];
        for (int k = 0; k < n; k++)
        {
            double sr = 0, si = 0;
            for (int j = 0; j < n; j++)
            {
                double a = sign * 2 * Math.PI * ((long)j * k % n) / n;
                double c = Math.Cos(a), s = Math.Sin(a);
                sr += re[j] * c - im[j] * s;
                si += re[j] * s + im[j] * c;
            }
            or[k] = sr; oi[k] = si;
        }
        return (or, oi);
    }

    private static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    private static void AssertClose(double[] expRe, double[] expIm, ReadOnlySpan<float> re, ReadOnlySpan<float> im, double relTol, string what)
    {
        double scale = 1e-30, err = 0;
        for (int i = 0; i < expRe.Length; i++) scale = Math.Max(scale, Math.Max(Math.Abs(expRe[i]), Math.Abs(expIm[i])));
        for (int i = 0; i < expRe.Length; i++) err = Math.Max(err, Math.Max(Math.Abs(expRe[i] - re[i]), Math.Abs(expIm[i] - im[i])));
        Assert.True(err <= relTol * scale, $"{what}: max error {err:g3} vs scale {scale:g3}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(143)]
    [InlineData(160)]
    [InlineData(256)]
    [InlineData(320)]
    [InlineData(360)]
    public void OneDimensionalMatchesNaiveDftForEverySignalOfABatch(int n)
    {
        const int count = 11; // not a multiple of the 8 SIMD lanes
        var re = Random(n * count, n);
        var im = Random(n * count, n + 1000);
        var fre = (float[])re.Clone();
        var fim = (float[])im.Clone();
        var fft = Fft.Create(n);
        fft.Forward(fre, fim);
        for (int s = 0; s < count; s++)
        {
            var (er, ei) = NaiveDft(re.AsSpan(s * n, n), im.AsSpan(s * n, n), -1);
            AssertClose(er, ei, fre.AsSpan(s * n, n), fim.AsSpan(s * n, n), 2e-6 * Math.Log2(n + 1) + 1e-6, $"n={n} signal {s}");
        }
        fft.Inverse(fre, fim);
        for (int i = 0; i < re.Length; i++)
        {
            Assert.Equal(re[i], fre[i], 1e-4f);
            Assert.Equal(im[i], fim[i], 1e-4f);
        }
    }

    [Theory]
    [InlineData(160, 80)]
    [InlineData(320, 160)]
    [InlineData(320, 100)]
    [InlineData(256, 128)]
    [InlineData(360, 150)]
    public unsafe void HalfForwardOfAZeroPaddedSignalEqualsTheFullTransform(int n, int nonZero)
    {
        var plan = FftPlan.Get(n);
        Assert.True(plan.CanPrune(nonZero));
        var work = plan.Rent();
        try
        {
            var x = Random(nonZero * FftPlan.Lanes, 5);
            var y = Random(nonZero * FftPlan.Lanes, 6);
            // Full transform of the zero-padded strip.
            var a = work.A;
            new Span<float>(a.Re, n * FftPlan.Lanes).Clear();
            new Span<float>(a.Im, n * FftPlan.Lanes).Clear();
            x.CopyTo(new Span<float>(a.Re, x.Length));
            y.CopyTo(new Span<float>(a.Im, y.Length));
            plan.Forward(a, a, work.W1, work.W2);
            // Pruned: the source supplies only the first half (data, then zeros).
            var half = work.W1;
            for (int j = 0; j < n / 2; j++)
                for (int l = 0; l < FftPlan.Lanes; l++)
                {
                    half.Re[j * FftPlan.Lanes + l] = j < nonZero ? x[j * FftPlan.Lanes + l] : 0f;
                    half.Im[j * FftPlan.Lanes + l] = j < nonZero ? y[j * FftPlan.Lanes + l] : 0f;
                }
            var b = work.B;
            // Work strips must not overlap the source: borrow A's memory, whose full result was checked out above.
            var expectedRe = new float[n * FftPlan.Lanes];
            var expectedIm = new float[n * FftPlan.Lanes];
            new Span<float>(a.Re, expectedRe.Length).CopyTo(expectedRe);
            new Span<float>(a.Im, expectedIm.Length).CopyTo(expectedIm);
            plan.ForwardHalf(half, b, a, work.W2);
            for (int i = 0; i < n * FftPlan.Lanes; i++)
            {
                Assert.Equal(expectedRe[i], b.Re[i], 2e-3f);
                Assert.Equal(expectedIm[i], b.Im[i], 2e-3f);
            }
        }
        finally { plan.Return(work); }
    }

    private static (double[] Re, double[] Im) NaiveDft2D(float[] re, float[] im, int h, int w, int sign)
    {
        // Separable: rows then columns, each by the naive 1D DFT in double.
        var r = new double[h * w];
        var i = new double[h * w];
        for (int y = 0; y < h; y++)
        {
            var (a, b) = NaiveDft(re.AsSpan(y * w, w), im.AsSpan(y * w, w), sign);
            a.CopyTo(r, y * w); b.CopyTo(i, y * w);
        }
        var outR = new double[h * w];
        var outI = new double[h * w];
        for (int x = 0; x < w; x++)
        {
            // Column pass in double precision.
            for (int k = 0; k < h; k++)
            {
                double sr = 0, si = 0;
                for (int y = 0; y < h; y++)
                {
                    double ang = sign * 2 * Math.PI * ((long)y * k % h) / h, c = Math.Cos(ang), s = Math.Sin(ang);
                    sr += r[y * w + x] * c - i[y * w + x] * s;
                    si += r[y * w + x] * s + i[y * w + x] * c;
                }
                outR[k * w + x] = sr; outI[k * w + x] = si;
            }
        }
        return (outR, outI);
    }

    [Theory]
    [InlineData(8, 8)]
    [InlineData(15, 8)]
    [InlineData(8, 15)]
    [InlineData(15, 15)]
    [InlineData(160, 160)]
    [InlineData(33, 320)]
    [InlineData(256, 40)]
    public void TwoDimensionalComplexAndRealTransformsMatchNaiveDft(int h, int w)
    {
        var re = Random(h * w, h * 31 + w);
        var im = Random(h * w, h * 37 + w);
        var (er, ei) = NaiveDft2D(re, im, h, w, -1);
        var fft = Fft2D.Create(h, w);
        var fr = (float[])re.Clone();
        var fi = (float[])im.Clone();
        fft.Forward(fr, fi);
        double tol = 3e-6 * Math.Log2(h * w + 1);
        AssertClose(er, ei, fr, fi, tol, $"complex {h}x{w}");
        fft.Inverse(fr, fi);
        for (int k = 0; k < re.Length; k++) { Assert.Equal(re[k], fr[k], 1e-4f); Assert.Equal(im[k], fi[k], 1e-4f); }

        // Real transform: the half spectrum of the real part alone.
        var zero = new float[h * w];
        var (rr, ri) = NaiveDft2D(re, zero, h, w, -1);
        int wh = fft.SpectrumWidth;
        var sr = new float[h * wh];
        var si = new float[h * wh];
        fft.ForwardReal(re, sr, si);
        var hr = new double[h * wh];
        var hi = new double[h * wh];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < wh; x++) { hr[y * wh + x] = rr[y * w + x]; hi[y * wh + x] = ri[y * w + x]; }
        AssertClose(hr, hi, sr, si, tol, $"real {h}x{w}");
        var back = new float[h * w];
        fft.InverseReal(sr, si, back);
        for (int k = 0; k < re.Length; k++) Assert.Equal(re[k], back[k], 1e-4f);
    }

    [Fact]
    public void RealTransformsHandleBatchesOfPlanes()
    {
        const int h = 20, w = 24, count = 3;
        var images = Random(h * w * count, 9);
        var fft = Fft2D.Create(h, w);
        int spec = h * fft.SpectrumWidth;
        var sr = new float[spec * count];
        var si = new float[spec * count];
        fft.ForwardReal(images, sr, si);
        for (int c = 0; c < count; c++)
        {
            var one = images.AsSpan(c * h * w, h * w).ToArray();
            var r1 = new float[spec];
            var i1 = new float[spec];
            fft.ForwardReal(one, r1, i1);
            Assert.Equal(r1, sr.AsSpan(c * spec, spec).ToArray());
            Assert.Equal(i1, si.AsSpan(c * spec, spec).ToArray());
        }
        var back = new float[images.Length];
        fft.InverseReal(sr, si, back);
        for (int k = 0; k < images.Length; k++) Assert.Equal(images[k], back[k], 1e-4f);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(159, 160)]
    [InlineData(319, 320)]
    [InlineData(321, 324)]
    [InlineData(7, 8)]
    [InlineData(11, 12)]
    public void NextFastLengthIsTheSmallestFiveSmoothAtLeastN(int n, int expected)
    {
        Assert.Equal(expected, Fft.NextFastLength(n));
        Assert.True(Fft.IsFastLength(expected));
        for (int m = n; m < expected; m++) Assert.False(Fft.IsFastLength(m));
    }

    [Fact]
    public void FactorisationPrefersRadixEightAndKeepsPrimes()
    {
        Assert.Equal(new[] { 8, 8, 5 }, FftPlan.Factor(320));
        Assert.Equal(new[] { 8, 4, 5 }, FftPlan.Factor(160));
        Assert.Equal(new[] { 5, 3 }, FftPlan.Factor(15));
        Assert.Equal(new[] { 11, 13 }, FftPlan.Factor(143));
    }
}

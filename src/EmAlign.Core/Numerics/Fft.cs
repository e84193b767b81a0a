namespace EmAlign.Numerics;

/// <summary>
/// Single-precision complex FFT of one length, in split form (separate real and imaginary arrays).
/// Any length works; lengths whose prime factors are 2, 3 and 5 are fast (see <see cref="NextFastLength"/>),
/// other primes fall back to a direct DFT of that factor. Forward uses exp(-2 pi i n k / N) without scaling;
/// <see cref="Inverse"/> uses exp(+2 pi i n k / N) and divides by N, so Inverse(Forward(x)) == x.
/// Instances are cached per length and safe to use from several threads at once.
/// </summary>
public sealed unsafe class Fft
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, Fft> Cache = new();
    private readonly FftPlan _plan;

    private Fft(int length) => _plan = FftPlan.Get(length);

    public int Length => _plan.Length;

    /// <summary>The transform for <paramref name="length"/> (precomputed twiddles, shared).</summary>
    public static Fft Create(int length)
    {
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "FFT length must be at least 1.");
        return Cache.GetOrAdd(length, static n => new Fft(n));
    }

    /// <summary>True when <paramref name="n"/> = 2^a 3^b 5^c (the lengths the kernels handle fastest).</summary>
    public static bool IsFastLength(int n)
    {
        if (n < 1) return false;
        foreach (int p in (ReadOnlySpan<int>)[2, 3, 5])
            while (n % p == 0) n /= p;
        return n == 1;
    }

    /// <summary>The smallest 5-smooth integer (2^a 3^b 5^c) that is at least <paramref name="n"/>; as scipy's next_fast_len.</summary>
    public static int NextFastLength(int n)
    {
        if (n <= 1) return 1;
        int m = n;
        while (!IsFastLength(m)) m++;
        return m;
    }

    /// <summary>
    /// Forward transform in place. re and im hold one or more signals back to back (length a multiple of
    /// <see cref="Length"/>), each transformed on its own.
    /// </summary>
    public void Forward(Span<float> re, Span<float> im) => Transform(re, im, inverse: false);

    /// <summary>Inverse transform in place, scaled by 1/N; layout as <see cref="Forward"/>.</summary>
    public void Inverse(Span<float> re, Span<float> im) => Transform(re, im, inverse: true);

    private void Transform(Span<float> re, Span<float> im, bool inverse)
    {
        int n = Length;
        if (re.Length != im.Length || re.Length % n != 0)
            throw new ArgumentException($"re and im must have the same length, a multiple of {n}; got {re.Length} and {im.Length}.");
        int count = re.Length / n;
        float scale = inverse ? 1f / n : 1f;
        var work = _plan.Rent();
        try
        {
            fixed (float* pr = re, pi = im)
            {
                // Inverse = swap(FFT(swap(x))): exchange the planes on the way in and out.
                float* inR = inverse ? pi : pr, inI = inverse ? pr : pi;
                for (int s0 = 0; s0 < count; s0 += FftPlan.Lanes)
                {
                    int rows = Math.Min(FftPlan.Lanes, count - s0);
                    var a = work.A;
                    StripTranspose.RowsToStrip(inR + (long)s0 * n, n, rows, n, a.Re);
                    StripTranspose.RowsToStrip(inI + (long)s0 * n, n, rows, n, a.Im);
                    _plan.Forward(a, a, work.W1, work.W2);
                    StripTranspose.StripToRows(a.Re, n, inR + (long)s0 * n, n, rows, scale);
                    StripTranspose.StripToRows(a.Im, n, inI + (long)s0 * n, n, rows, scale);
                }
            }
        }
        finally
        {
            _plan.Return(work);
        }
    }
}

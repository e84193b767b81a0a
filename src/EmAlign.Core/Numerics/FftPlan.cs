using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace EmAlign.Numerics;

/// <summary>
/// A strided view of one "strip": <see cref="FftPlan.Lanes"/> independent complex signals stored in
/// split (planar) form. Element e of lane l is at Re[e * Stride + l] and Im[e * Stride + l]; Stride is in
/// floats (8 for a contiguous strip; the image width when a strip is a band of 8 image columns).
/// </summary>
internal readonly unsafe struct Strip(float* re, float* im, int stride) : IStripSource, IStripSink
{
    public readonly float* Re = re;
    public readonly float* Im = im;
    public readonly int Stride = stride;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void Load(int e, out Vector256<float> re, out Vector256<float> im)
    {
        re = Vector256.Load(Re + (long)e * Stride);
        im = Vector256.Load(Im + (long)e * Stride);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void Store(int e, Vector256<float> re, Vector256<float> im)
    {
        re.Store(Re + (long)e * Stride);
        im.Store(Im + (long)e * Stride);
    }

    /// <summary>The same memory with real and imaginary parts exchanged: FFT(swap(x)) = swap(N * IFFT(x)).</summary>
    public Strip Swapped => new(Im, Re, Stride);
}

/// <summary>
/// A precomputed mixed-radix (8, 4, 2, 5, 3, and any other prime) Stockham FFT of one length, run on
/// strips of 8 signals at once, each SIMD lane a different signal, so the butterflies need no shuffles.
/// Forward transforms use exp(-2 pi i n k / N) and are unnormalised; inverses are obtained by swapping
/// real and imaginary parts on the way in and out (<see cref="Strip.Swapped"/>), also unnormalised.
/// Plans are immutable and shared per length (<see cref="Get"/>).
/// </summary>
internal sealed unsafe class FftPlan
{
    /// <summary>Signals per strip: one Vector256 of floats.</summary>
    public const int Lanes = 8;

    private static readonly ConcurrentDictionary<int, FftPlan> Cache = new();

    private readonly Stage[] _full;
    private readonly Stage[]? _pruned;
    // Twiddles of every stage of both stage lists, pinned for the process lifetime (plans are cached).
    private readonly float* _tw;

    private FftPlan(int length)
    {
        Length = length;
        var fullFactors = Factor(length);
        List<int>? prunedFactors = null;
        if (length % 2 == 0 && length >= 4)
        {
            prunedFactors = [2];
            prunedFactors.AddRange(Factor(length / 2));
        }
        int twCount = TwiddleCount(fullFactors) + (prunedFactors is null ? 0 : TwiddleCount(prunedFactors));
        _tw = (float*)NativeMemory.AlignedAlloc((nuint)Math.Max(2 * twCount, 1) * sizeof(float), 64);
        int offset = 0;
        _full = BuildStages(fullFactors, ref offset);
        _pruned = prunedFactors is null ? null : BuildStages(prunedFactors, ref offset);
        foreach (var f in fullFactors)
            if (f is not (2 or 3 or 4 or 5 or 8)) GenericRadix = Math.Max(GenericRadix, f);
    }

    public int Length { get; }

    /// <summary>The largest radix without a dedicated kernel (a prime above 5), or 0; it needs 2R elements of scratch.</summary>
    private int GenericRadix { get; }

    public static FftPlan Get(int length)
    {
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "FFT length must be at least 1.");
        return Cache.GetOrAdd(length, static n => new FftPlan(n));
    }

    /// <summary>True when a signal whose first <paramref name="nonZero"/> elements alone are non-zero can use <see cref="ForwardHalf"/>.</summary>
    public bool CanPrune(int nonZero) => _pruned is not null && nonZero <= Length / 2;

    /// <summary>
    /// Separates two real signals transformed together as z = x + i·y (length <paramref name="n"/>) into bins
    /// 0 … count − 1 of their spectra: X[k] = (Z[k] + conj Z[−k]) / 2, Y[k] = (Z[k] − conj Z[−k]) / 2i. All three are
    /// contiguous strips (a constant stride keeps this hot loop as fast as hand-indexed code); z must not alias x or y.
    /// </summary>
    public static void SplitTwoReal(ContiguousStrip z, ContiguousStrip x, ContiguousStrip y, int count, int n)
    {
        var half = Vector256.Create(0.5f);
        for (int k = 0; k < count; k++)
        {
            z.Load(k, out var zr, out var zi);
            z.Load(k == 0 ? 0 : n - k, out var cr, out var ci);
            x.Store(k, half * (zr + cr), half * (zi - ci));
            y.Store(k, half * (zi + ci), half * (cr - zr));
        }
    }

    /// <summary>
    /// Full forward transform src -> dst. <paramref name="w1"/>, <paramref name="w2"/> are contiguous work strips
    /// (Length x 8 floats for each of re and im). src may equal dst; src is left intact otherwise.
    /// </summary>
    public void Forward(Strip src, Strip dst, Strip w1, Strip w2)
    {
        if (_full.Length == 1 && src.Re == dst.Re)
        {
            // A single Stockham stage cannot run in place: go through a work strip.
            Forward(src, w1, w1, w2);
            for (int e = 0; e < Length; e++)
            {
                w1.Load(e, out var re, out var im);
                dst.Store(e, re, im);
            }
            return;
        }
        Run(_full, 0, src, dst, w1, w2);
    }

    /// <summary>
    /// Full forward transform from any source to any sink (the first stage reads the source, the last writes the
    /// sink). Source and sink must not share memory with each other or with the work strips.
    /// </summary>
    public void Forward<TS, TD>(TS src, TD dst, Strip w1, Strip w2) where TS : struct, IStripSource where TD : struct, IStripSink
        => Run(_full, 0, src, dst, w1, w2);

    /// <summary>
    /// Forward transform of a signal that is zero in its upper half: <paramref name="half"/> supplies elements
    /// 0..N/2-1 (zeros past the data included). The first radix-2 stage is then a duplication, so it is skipped by
    /// reading element e of the next stage as half[e / 2].
    /// </summary>
    public void ForwardHalf<TS, TD>(TS half, TD dst, Strip w1, Strip w2) where TS : struct, IStripSource where TD : struct, IStripSink
    {
        if (_pruned is null) throw new InvalidOperationException($"FFT length {Length} cannot be pruned.");
        Run(_pruned, 1, new Duplicated<TS>(half), dst, w1, w2);
    }

    /// <summary>Element e reads element e / 2 of the inner source (the output of a radix-2 stage on zero-padded input).</summary>
    private readonly struct Duplicated<TS>(TS inner) : IStripSource where TS : struct, IStripSource
    {
        private readonly TS _inner = inner;

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public void Load(int e, out Vector256<float> re, out Vector256<float> im) => _inner.Load(e >> 1, out re, out im);
    }

    private void Run<TS, TD>(Stage[] stages, int first, TS src, TD dst, Strip w1, Strip w2) where TS : struct, IStripSource where TD : struct, IStripSink
    {
        int count = stages.Length - first;
        // Generic (prime) radices need 2R elements of scratch; small ones live on the stack.
        Span<Vector256<float>> scratch = GenericRadix == 0 ? default
            : GenericRadix <= 64 ? stackalloc Vector256<float>[2 * GenericRadix] : new Vector256<float>[2 * GenericRadix];
        if (count == 0)
        {
            for (int e = 0; e < Length; e++)
            {
                src.Load(e, out var re, out var im);
                dst.Store(e, re, im);
            }
            return;
        }
        if (count == 1)
        {
            RunStage(stages[first], src, dst, scratch);
            return;
        }
        // Ping-pong between the two work strips.
        var a = new ContiguousStrip(w1.Re, w1.Im);
        var b = new ContiguousStrip(w2.Re, w2.Im);
        RunStage(stages[first], src, a, scratch);
        for (int s = 1; s < count - 1; s++)
        {
            RunStage(stages[first + s], a, b, scratch);
            (a, b) = (b, a);
        }
        RunStage(stages[first + count - 1], a, dst, scratch);
    }

    private void RunStage<TS, TD>(in Stage st, TS src, TD dst, Span<Vector256<float>> scratch) where TS : struct, IStripSource where TD : struct, IStripSink
    {
        float* twr = _tw + st.TwiddleOffset, twi = twr + st.TwiddleCount;
        switch (st.Radix)
        {
            case 2: FftKernels.Radix2(src, dst, Length, st.Ns, twr, twi); break;
            case 3: FftKernels.Radix3(src, dst, Length, st.Ns, twr, twi); break;
            case 4: FftKernels.Radix4(src, dst, Length, st.Ns, twr, twi); break;
            case 5: FftKernels.Radix5(src, dst, Length, st.Ns, twr, twi); break;
            case 8: FftKernels.Radix8(src, dst, Length, st.Ns, twr, twi); break;
            default: FftKernels.RadixGeneric(src, dst, Length, st.Radix, st.Ns, twr, twi, scratch); break;
        }
    }

    /// <summary>Radix order: 8s first (fewest passes), then 4, 2, 5, 3, then remaining primes ascending.</summary>
    internal static List<int> Factor(int n)
    {
        var f = new List<int>();
        while (n % 8 == 0) { f.Add(8); n /= 8; }
        if (n % 4 == 0) { f.Add(4); n /= 4; }
        if (n % 2 == 0) { f.Add(2); n /= 2; }
        foreach (int p in (ReadOnlySpan<int>)[5, 3])
            while (n % p == 0) { f.Add(p); n /= p; }
        for (int p = 7; n > 1; p += 2)
        {
            if ((long)p * p > n) { f.Add(n); break; }
            while (n % p == 0) { f.Add(p); n /= p; }
        }
        return f;
    }

    private static int TwiddleCount(List<int> factors)
    {
        int ns = 1, count = 0;
        foreach (var r in factors) { count += ns * (r - 1); ns *= r; }
        return count;
    }

    private Stage[] BuildStages(List<int> factors, ref int offset)
    {
        var stages = new Stage[factors.Count];
        int ns = 1;
        for (int s = 0; s < factors.Count; s++)
        {
            int r = factors[s], count = ns * (r - 1);
            // Layout per stage: re[k*(r-1) + (q-1)] then im likewise; w = exp(-2 pi i q k / (ns r)).
            float* re = _tw + 2 * offset, im = re + count;
            for (int k = 0; k < ns; k++)
                for (int q = 1; q < r; q++)
                {
                    double a = -2 * Math.PI * q * k / ((double)ns * r);
                    re[k * (r - 1) + q - 1] = (float)Math.Cos(a);
                    im[k * (r - 1) + q - 1] = (float)Math.Sin(a);
                }
            stages[s] = new Stage(r, ns, 2 * offset, count);
            offset += count;
            ns *= r;
        }
        return stages;
    }

    private readonly ConcurrentBag<Work> _work = new();

    /// <summary>Rents contiguous strips (A, B, C, W1, W2) of this length; give them back with <see cref="Return"/>.</summary>
    public Work Rent() => _work.TryTake(out var w) ? w : new Work(Length);

    public void Return(Work work) => _work.Add(work);

    /// <summary>Contiguous strips: three for data (A, B, C) and the two work strips a transform needs.</summary>
    internal sealed class Work
    {
        private readonly PinnedBuffer _buffer;

        /// <param name="length">Elements per strip: at least the transform length.</param>
        public Work(int length)
        {
            int n = length * Lanes;
            _buffer = new PinnedBuffer(10 * n);
            float* p = _buffer.Pointer;
            A = new Strip(p, p + n, Lanes);
            B = new Strip(p + 2 * n, p + 3 * n, Lanes);
            C = new Strip(p + 4 * n, p + 5 * n, Lanes);
            W1 = new Strip(p + 6 * n, p + 7 * n, Lanes);
            W2 = new Strip(p + 8 * n, p + 9 * n, Lanes);
        }

        public Strip A { get; }
        public Strip B { get; }
        public Strip C { get; }
        public Strip W1 { get; }
        public Strip W2 { get; }
    }

    private readonly record struct Stage(int Radix, int Ns, int TwiddleOffset, int TwiddleCount);
}

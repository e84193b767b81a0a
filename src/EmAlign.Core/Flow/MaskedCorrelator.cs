using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using V = System.Runtime.Intrinsics.Vector256<float>;
using EmAlign.Numerics;

namespace EmAlign.Flow;

/// <summary>
/// Masked normalised cross-correlation of one patch pair (Padfield, "Masked Object Registration in the Fourier
/// Domain", IEEE TIP 2012; SOFIMA mode B). With validity Ma, Mb, masked patches a, b (mean of valid pixels
/// removed, invalid pixels 0) and x*y the full linear correlation:
/// n = round(Ma*Mb) (at least float epsilon), num = a*b - (a*Mb)(Ma*b)/n,
/// den = sqrt(max(a^2*Mb - (a*Mb)^2/n, 0) max(Ma*b^2 - (Ma*b)^2/n, 0)),
/// NCC = num/den where den &gt; 1000 eps max(den), else 0, clipped to [-1, 1], and 0 where n &lt; 0.3 max(n).
/// Both maxima are per patch pair (SOFIMA takes them over a whole batch; per patch is Padfield's definition).
/// The surface uses the same layout as <see cref="FastCorrelator"/>.
/// </summary>
internal sealed unsafe class MaskedCorrelator
{
    private static readonly ConcurrentDictionary<(int, int), MaskedCorrelator> Cache = new();
    private readonly Fft2D _fft;
    private readonly ConcurrentBag<Workspace> _pool = new();

    /// <summary>The shared correlator for these patch sizes, so workspaces are reused across calls.</summary>
    public static MaskedCorrelator Get(int preSize, int postSize) => Cache.GetOrAdd((preSize, postSize), static k => new MaskedCorrelator(k.Item1, k.Item2));

    public MaskedCorrelator(int preSize, int postSize)
    {
        PreSize = preSize;
        PostSize = postSize;
        SurfaceSize = preSize + postSize - 1;
        FftLength = Fft.NextFastLength(SurfaceSize);
        _fft = Fft2D.Create(FftLength, FftLength);
        // Surface index k (either axis) reads circular shift (k - (Nb - 1)) mod L.
        _circ = new int[SurfaceSize];
        for (int k = 0; k < SurfaceSize; k++) _circ[k] = ((k - (postSize - 1)) % FftLength + FftLength) % FftLength;
    }

    private readonly int[] _circ;

    public int PreSize { get; }
    public int PostSize { get; }
    public int SurfaceSize { get; }
    public int FftLength { get; }

    public Workspace Rent() => _pool.TryTake(out var w) ? w : new Workspace(this);

    public void Return(Workspace w) => _pool.Add(w);

    internal sealed class Workspace
    {
        private readonly PinnedBuffer _surface;

        public Workspace(MaskedCorrelator o)
        {
            int plane = o.FftLength * o.FftLength, spec = o.FftLength * o._fft.SpectrumWidth;
            Planes = new float[6 * plane];
            SpecRe = new float[6 * spec];
            SpecIm = new float[6 * spec];
            ProdRe = new float[6 * spec];
            ProdIm = new float[6 * spec];
            Outputs = new float[6 * plane];
            Numerators = new float[o.SurfaceSize * o.SurfaceSize];
            Counts = new float[o.SurfaceSize * o.SurfaceSize];
            _surface = new PinnedBuffer(o.SurfaceSize * o.SurfaceSize);
            Surface = _surface.Pointer;
        }

        public float[] Planes { get; }
        public float[] SpecRe { get; }
        public float[] SpecIm { get; }
        public float[] ProdRe { get; }
        public float[] ProdIm { get; }
        public float[] Outputs { get; }
        public float[] Numerators { get; }
        public float[] Counts { get; }

        /// <summary>SurfaceSize x SurfaceSize, stride SurfaceSize.</summary>
        public float* Surface { get; }
    }

    /// <summary>Computes the NCC surface into <see cref="Workspace.Surface"/>; false when either patch has no valid pixel.</summary>
    public bool Correlate(Workspace ws, Image2D<float> pre, Image2D<bool>? preMask, int preX, int preY,
        Image2D<float> post, Image2D<bool>? postMask, int postX, int postY, float? fixedMean)
    {
        int n = FftLength, plane = n * n;
        // Planes start zeroed and only ever change inside the patch squares, which FillPatch rewrites in full.
        var planes = ws.Planes;
        // Planes: 0 a, 1 a^2, 2 Ma, 3 b, 4 b^2, 5 Mb.
        if (!FillPatch(pre, preMask, preX, preY, PreSize, fixedMean, planes.AsSpan(0, 3 * plane), n)) return false;
        if (!FillPatch(post, postMask, postX, postY, PostSize, fixedMean, planes.AsSpan(3 * plane, 3 * plane), n)) return false;
        _fft.ForwardReal(planes, ws.SpecRe, ws.SpecIm, parallel: false);

        int spec = n * _fft.SpectrumWidth;
        // (x, y) pairs whose correlation x*y = IFFT(FX conj FY) is needed: n, Sa, Sb, Saa, Sbb, ab.
        ReadOnlySpan<(int X, int Y)> pairs = [(2, 5), (0, 5), (2, 3), (1, 5), (2, 4), (0, 3)];
        fixed (float* sr = ws.SpecRe, si = ws.SpecIm, qr = ws.ProdRe, qi = ws.ProdIm)
            for (int p = 0; p < pairs.Length; p++)
                MultiplyConjugate(sr + pairs[p].X * spec, si + pairs[p].X * spec, sr + pairs[p].Y * spec, si + pairs[p].Y * spec, qr + p * spec, qi + p * spec, spec);
        _fft.InverseReal(ws.ProdRe, ws.ProdIm, ws.Outputs, parallel: false);

        int k = SurfaceSize, shift = PostSize - 1;
        float* surface = ws.Surface;
        var acc = new Maxima();
        fixed (float* o = ws.Outputs, num = ws.Numerators, cnt = ws.Counts)
        {
            var planesPtr = new OutputPlanes(o, plane);
            // Each surface row reads two contiguous runs of the circular output: shifts -(Nb-1)..-1 wrap to the end.
            for (int ky = 0; ky < k; ky++)
            {
                int cy = _circ[ky] * n, row = ky * k;
                FirstPass(planesPtr, cy + n - shift, row, shift, num, cnt, surface, ref acc);
                FirstPass(planesPtr, cy, row + shift, k - shift, num, cnt, surface, ref acc);
            }
            float tau = 1000 * Epsilon * acc.Den, minOverlap = 0.3f * acc.Count;
            SecondPass(num, cnt, surface, k * k, tau, minOverlap);
        }
        return true;
    }

    /// <summary>p = x conj(y), elementwise over split complex arrays.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyConjugate(float* xr, float* xi, float* yr, float* yi, float* pr, float* pi, int count)
    {
        int i = 0;
        for (; i + 8 <= count; i += 8)
        {
            V a = Vector256.Load(xr + i), b = Vector256.Load(xi + i), c = Vector256.Load(yr + i), d = Vector256.Load(yi + i);
            (a * c + b * d).Store(pr + i);
            (b * c - a * d).Store(pi + i);
        }
        for (; i < count; i++)
        {
            pr[i] = xr[i] * yr[i] + xi[i] * yi[i];
            pi[i] = xi[i] * yr[i] - xr[i] * yi[i];
        }
    }

    private const float Epsilon = 1.1920929E-07f; // float32 machine epsilon, 2^-23

    private readonly struct OutputPlanes(float* o, int plane)
    {
        public readonly float* N = o, Sa = o + plane, Sb = o + 2 * plane, Saa = o + 3 * plane, Sbb = o + 4 * plane, Ab = o + 5 * plane;
    }

    private struct Maxima
    {
        public float Den, Count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static V RoundEven(V v)
    {
        if (Avx.IsSupported) return Avx.RoundToNearestInteger(v);
        var r = v;
        for (int l = 0; l < 8; l++) r = r.WithElement(l, MathF.Round(v.GetElement(l)));
        return r;
    }

    /// <summary>Overlap counts, numerators and denominators of one contiguous run (surface index i = s0..s0+len-1 reads output c0 + (i - s0)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FirstPass(OutputPlanes o, int c0, int s0, int len, float* num, float* cnt, float* den, ref Maxima acc)
    {
        var eps = Vector256.Create(Epsilon);
        V maxDen = V.Zero, maxCnt = V.Zero;
        int t = 0;
        for (; t + 8 <= len; t += 8)
        {
            int c = c0 + t, i = s0 + t;
            V n = Vector256.Max(RoundEven(Vector256.Load(o.N + c)), eps);
            V sa = Vector256.Load(o.Sa + c), sb = Vector256.Load(o.Sb + c);
            V da = Vector256.Max(Vector256.Load(o.Saa + c) - sa * sa / n, V.Zero);
            V db = Vector256.Max(Vector256.Load(o.Sbb + c) - sb * sb / n, V.Zero);
            V d = Vector256.Sqrt(da * db);
            (Vector256.Load(o.Ab + c) - sa * sb / n).Store(num + i);
            n.Store(cnt + i);
            d.Store(den + i);
            maxDen = Vector256.Max(maxDen, d);
            maxCnt = Vector256.Max(maxCnt, n);
        }
        for (int l = 0; l < 8; l++)
        {
            acc.Den = Math.Max(acc.Den, maxDen.GetElement(l));
            acc.Count = Math.Max(acc.Count, maxCnt.GetElement(l));
        }
        for (; t < len; t++)
        {
            int c = c0 + t, i = s0 + t;
            float n = Math.Max(MathF.Round(o.N[c]), Epsilon), sa = o.Sa[c], sb = o.Sb[c];
            float da = Math.Max(o.Saa[c] - sa * sa / n, 0f), db = Math.Max(o.Sbb[c] - sb * sb / n, 0f);
            float d = MathF.Sqrt(da * db);
            num[i] = o.Ab[c] - sa * sb / n;
            cnt[i] = n;
            den[i] = d;
            acc.Den = Math.Max(acc.Den, d);
            acc.Count = Math.Max(acc.Count, n);
        }
    }

    /// <summary>NCC = num / den where den &gt; tau (else 0), clipped to [-1, 1], and 0 where the overlap count is below minOverlap; in place over den.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SecondPass(float* num, float* cnt, float* den, int count, float tau, float minOverlap)
    {
        V vt = Vector256.Create(tau), vm = Vector256.Create(minOverlap), one = Vector256.Create(1f);
        int i = 0;
        for (; i + 8 <= count; i += 8)
        {
            V d = Vector256.Load(den + i);
            V v = Vector256.Min(Vector256.Max(Vector256.Load(num + i) / d, -one), one);
            var keep = Vector256.GreaterThan(d, vt) & Vector256.GreaterThanOrEqual(Vector256.Load(cnt + i), vm);
            Vector256.ConditionalSelect(keep, v, V.Zero).Store(den + i);
        }
        for (; i < count; i++)
        {
            float d = den[i];
            float v = d > tau ? Math.Clamp(num[i] / d, -1f, 1f) : 0f;
            den[i] = cnt[i] < minOverlap ? 0f : v;
        }
    }

    /// <summary>Writes patch p (mean over valid pixels removed, invalid = 0), p^2 and the validity into three n x n planes.</summary>
    private static bool FillPatch(Image2D<float> img, Image2D<bool>? mask, int x0, int y0, int size, float? fixedMean, Span<float> planes, int n)
    {
        int plane = n * n;
        double sum = 0;
        long valid = 0;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                if (mask is not null && mask.Data[(y0 + y) * mask.Width + x0 + x]) continue;
                sum += img.Data[(y0 + y) * img.Width + x0 + x];
                valid++;
            }
        if (valid == 0) return false;
        float mean = fixedMean ?? (float)(sum / valid);
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                int i = y * n + x;
                bool ok = mask is null || !mask.Data[(y0 + y) * mask.Width + x0 + x];
                float v = ok ? img.Data[(y0 + y) * img.Width + x0 + x] - mean : 0f;
                planes[i] = v;
                planes[plane + i] = v * v;
                planes[2 * plane + i] = ok ? 1f : 0f;
            }
        return true;
    }
}

using System.Collections.Concurrent;
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
    }

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

        /// <summary>SurfaceSize x SurfaceSize, stride SurfaceSize.</summary>
        public float* Surface { get; }
    }

    /// <summary>Computes the NCC surface into <see cref="Workspace.Surface"/>; false when either patch has no valid pixel.</summary>
    public bool Correlate(Workspace ws, Image2D<float> pre, Image2D<bool>? preMask, int preX, int preY,
        Image2D<float> post, Image2D<bool>? postMask, int postX, int postY, float? fixedMean)
    {
        int n = FftLength, plane = n * n;
        var planes = ws.Planes;
        Array.Clear(planes);
        // Planes: 0 a, 1 a^2, 2 Ma, 3 b, 4 b^2, 5 Mb.
        if (!FillPatch(pre, preMask, preX, preY, PreSize, fixedMean, planes.AsSpan(0, 3 * plane), n)) return false;
        if (!FillPatch(post, postMask, postX, postY, PostSize, fixedMean, planes.AsSpan(3 * plane, 3 * plane), n)) return false;
        _fft.ForwardReal(planes, ws.SpecRe, ws.SpecIm);

        int spec = n * _fft.SpectrumWidth;
        // (x, y) pairs whose correlation x*y = IFFT(FX conj FY) is needed: n, Sa, Sb, Saa, Sbb, ab.
        ReadOnlySpan<(int X, int Y)> pairs = [(2, 5), (0, 5), (2, 3), (1, 5), (2, 4), (0, 3)];
        for (int p = 0; p < pairs.Length; p++)
        {
            var xr = ws.SpecRe.AsSpan(pairs[p].X * spec, spec);
            var xi = ws.SpecIm.AsSpan(pairs[p].X * spec, spec);
            var yr = ws.SpecRe.AsSpan(pairs[p].Y * spec, spec);
            var yi = ws.SpecIm.AsSpan(pairs[p].Y * spec, spec);
            var pr = ws.ProdRe.AsSpan(p * spec, spec);
            var pi = ws.ProdIm.AsSpan(p * spec, spec);
            for (int i = 0; i < spec; i++)
            {
                pr[i] = xr[i] * yr[i] + xi[i] * yi[i];
                pi[i] = xi[i] * yr[i] - xr[i] * yi[i];
            }
        }
        _fft.InverseReal(ws.ProdRe, ws.ProdIm, ws.Outputs);

        int k = SurfaceSize, shift = PostSize - 1;
        var o = ws.Outputs;
        float* s = ws.Surface;
        float eps = MathF.Pow(2, -23);
        // First pass: overlap counts and denominators (kept in the surface), and their maxima.
        float maxN = 0, maxDen = 0;
        var num = ws.Numerators;
        for (int ky = 0; ky < k; ky++)
        {
            int cy = (ky - shift + n) % n;
            for (int kx = 0; kx < k; kx++)
            {
                int c = cy * n + (kx - shift + n) % n;
                float cnt = Math.Max(MathF.Round(o[c]), eps);
                float sa = o[plane + c], sb = o[2 * plane + c], saa = o[3 * plane + c], sbb = o[4 * plane + c], ab = o[5 * plane + c];
                float da = Math.Max(saa - sa * sa / cnt, 0f), db = Math.Max(sbb - sb * sb / cnt, 0f);
                float den = MathF.Sqrt(da * db);
                num[ky * k + kx] = ab - sa * sb / cnt;
                s[ky * k + kx] = den;
                maxDen = Math.Max(maxDen, den);
                maxN = Math.Max(maxN, cnt);
            }
        }
        float tau = 1000 * eps * maxDen, minOverlap = 0.3f * maxN;
        for (int ky = 0; ky < k; ky++)
        {
            int cy = (ky - shift + n) % n;
            for (int kx = 0; kx < k; kx++)
            {
                int i = ky * k + kx;
                float cnt = Math.Max(MathF.Round(o[cy * n + (kx - shift + n) % n]), eps);
                float den = s[i];
                float v = den > tau ? Math.Clamp(num[i] / den, -1f, 1f) : 0f;
                s[i] = cnt < minOverlap ? 0f : v;
            }
        }
        return true;
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
                if (mask is not null && mask.Data[(y0 + y) * mask.Width + x0 + x]) continue;
                float v = img.Data[(y0 + y) * img.Width + x0 + x] - mean;
                int i = y * n + x;
                planes[i] = v;
                planes[plane + i] = v * v;
                planes[2 * plane + i] = 1f;
            }
        return true;
    }
}

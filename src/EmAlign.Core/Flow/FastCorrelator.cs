using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using EmAlign.Numerics;
using V = System.Runtime.Intrinsics.Vector256<float>;

namespace EmAlign.Flow;

/// <summary>A section being cut into patches: pinned pixels (y-major, x fastest) and a constant subtracted before transforms.</summary>
internal readonly unsafe struct ImageView(float* pixels, int width, int height, float offset)
{
    public readonly float* Pixels = pixels;
    public readonly int Width = width;
    public readonly int Height = height;

    /// <summary>Subtracted from every pixel before the FFT (the section mean) so float32 spectra keep their precision.</summary>
    public readonly float Offset = offset;
}

/// <summary>
/// Unmasked, mean-removed full linear cross-correlation of square patches (SOFIMA mode A), built for throughput:
/// <list type="bullet">
/// <item>The y transforms of image columns are shared by every patch of a band (the patches of one grid row
/// start at the same y), computed 16 columns per strip with two real columns packed per complex lane, and cached
/// per worker. Mean removal is applied in the spectrum: FFT(p - mu) = FFT(p) - mu * FFT(box).</item>
/// <item>Zero padding to the FFT length L (the 5-smooth length &gt;= Na + Nb - 1) is exploited: when a patch fills
/// at most half of L, the first radix-2 stage reduces to a copy and is skipped (<see cref="FftPlan.ForwardHalf"/>).</item>
/// <item>Only ky = 0..L/2 is kept (Hermitian symmetry); the x transforms run 8 ky rows per SIMD strip; the product
/// A * conj(B), the inverse along x, and the packed complex-to-real inverse along y follow without leaving the worker.</item>
/// </list>
/// The surface is written in SOFIMA's layout: index k (per axis) is the shift s = k - (Nb - 1), so
/// C[k] = sum_j a[j + s] b[j], for k in 0..Na + Nb - 2.
/// </summary>
internal sealed unsafe class FastCorrelator
{
    private const int L = FftPlan.Lanes;
    private const int StripColumns = 2 * L;

    private static readonly ConcurrentDictionary<(int, int), FastCorrelator> Cache = new();
    private readonly FftPlan _plan;
    private readonly PinnedBuffer _wyA, _wyB;
    private readonly ConcurrentBag<Workspace> _pool = new();

    /// <summary>The shared correlator for these patch sizes: its workspaces (about 1.6 MB each for 160 px patches) are reused by later calls.</summary>
    public static FastCorrelator Get(int preSize, int postSize) => Cache.GetOrAdd((preSize, postSize), static k => new FastCorrelator(k.Item1, k.Item2));

    public FastCorrelator(int preSize, int postSize)
    {
        if (preSize < 1 || postSize < 1) throw new ArgumentOutOfRangeException(nameof(preSize), $"Patch sizes must be positive; got {preSize} and {postSize}.");
        PreSize = preSize;
        PostSize = postSize;
        SurfaceSize = preSize + postSize - 1;
        FftLength = Fft.NextFastLength(SurfaceSize);
        _plan = FftPlan.Get(FftLength);
        Ky = FftLength / 2 + 1;
        Ky8 = (Ky + L - 1) / L * L;
        QStride = (FftLength + StripColumns - 1) / StripColumns * StripColumns;
        SurfaceStride = (SurfaceSize + L - 1) / L * L;
        // Enough direct-mapped strip slots that all strips one patch touches are distinct; a power of two so
        // that the cached column of image column x is simply x & (Slots * 16 - 1).
        Slots = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)((Math.Max(preSize, postSize) + StripColumns - 1) / StripColumns + 1));
        _wyA = BoxSpectrum(preSize);
        _wyB = BoxSpectrum(postSize);
    }

    public int PreSize { get; }
    public int PostSize { get; }

    /// <summary>Surface size per axis, Na + Nb - 1.</summary>
    public int SurfaceSize { get; }

    /// <summary>Row stride of <see cref="Workspace.Surface"/>.</summary>
    public int SurfaceStride { get; }

    public int FftLength { get; }

    private int Ky { get; }
    private int Ky8 { get; }
    private int QStride { get; }
    private int Slots { get; }

    /// <summary>Columns in a band's ring of cached strips, minus one.</summary>
    private int RingMask => Slots * StripColumns - 1;

    /// <summary>A workspace with empty band caches (images may have changed since it was last used).</summary>
    public Workspace Rent()
    {
        if (!_pool.TryTake(out var w)) return new Workspace(this);
        w.Pre.Invalidate();
        w.Post.Invalidate();
        return w;
    }

    public void Return(Workspace w) => _pool.Add(w);

    /// <summary>DFT (length L, ky = 0..Ky8-1, zero beyond Ky) of a column of n ones starting at row 0.</summary>
    private PinnedBuffer BoxSpectrum(int n)
    {
        var b = new PinnedBuffer(2 * Ky8);
        var s = b.Span;
        s.Clear();
        for (int k = 0; k < Ky; k++)
        {
            double re = 0, im = 0;
            for (int y = 0; y < n; y++)
            {
                double a = -2 * Math.PI * ((long)k * y % FftLength) / FftLength;
                re += Math.Cos(a);
                im += Math.Sin(a);
            }
            s[k] = (float)re;
            s[Ky8 + k] = (float)im;
        }
        return b;
    }

    /// <summary>Per-worker buffers: two band caches, FFT strips, the transposed half spectrum and the surface.</summary>
    internal sealed class Workspace
    {
        private readonly PinnedBuffer _q, _surface, _laneMax;

        public Workspace(FastCorrelator owner)
        {
            Pre = new Band(owner, owner.PreSize);
            Post = new Band(owner, owner.PostSize);
            // Strips hold max(L, Ky8) elements: the y-pass unpacks Ky8 rows, more than L for tiny patches.
            Work = new FftPlan.Work(Math.Max(owner.FftLength, owner.Ky8));
            int q = owner.Ky8 * owner.QStride;
            _q = new PinnedBuffer(2 * q);
            _q.Span.Clear(); // columns L..QStride-1 stay zero
            QRe = _q.Pointer;
            QIm = _q.Pointer + q;
            _surface = new PinnedBuffer(owner.SurfaceSize * owner.SurfaceStride + L);
            Surface = _surface.Pointer;
            _laneMax = new PinnedBuffer(L * owner.SurfaceSize);
            LaneMax = _laneMax.Pointer;
        }

        public Band Pre { get; }
        public Band Post { get; }
        public FftPlan.Work Work { get; }
        public float* QRe { get; }
        public float* QIm { get; }

        /// <summary>The last surface, SurfaceSize rows of SurfaceStride floats.</summary>
        public float* Surface { get; }

        /// <summary>Per surface row, 8 floats whose maximum is the row maximum (see <see cref="PeakFinder.Find"/>).</summary>
        public float* LaneMax { get; }
    }

    /// <summary>
    /// Cached y transforms of the columns of one band (rows yStart..yStart+PatchSize-1) of one image, in
    /// direct-mapped slots of 16 columns: per column, Ky8 complex values (ky fastest), plus the column's sum,
    /// minimum and maximum over the band (after subtracting the image offset).
    /// </summary>
    internal sealed class Band
    {
        private readonly FastCorrelator _o;
        private readonly PinnedBuffer _data;
        private readonly int[] _slotIds;
        private readonly float[] _sum, _min, _max;
        private ImageView _image;
        private int _yStart = int.MinValue;

        public Band(FastCorrelator owner, int patchSize)
        {
            _o = owner;
            PatchSize = patchSize;
            _data = new PinnedBuffer(2 * owner.Slots * StripColumns * owner.Ky8);
            _slotIds = new int[owner.Slots];
            _sum = new float[owner.Slots * StripColumns];
            _min = new float[owner.Slots * StripColumns];
            _max = new float[owner.Slots * StripColumns];
        }

        public int PatchSize { get; }

        private float* SlotRe(int slot) => _data.Pointer + (long)slot * StripColumns * _o.Ky8;

        private float* SlotIm(int slot) => _data.Pointer + ((long)_o.Slots + slot) * StripColumns * _o.Ky8;

        /// <summary>Real parts of cached columns: image column x starts at (x &amp; RingMask) * Ky8.</summary>
        public float* Re => _data.Pointer;

        /// <summary>Imaginary parts of cached columns, same offsets.</summary>
        public float* Im => _data.Pointer + (long)_o.Slots * StripColumns * _o.Ky8;

        public void Invalidate()
        {
            _image = default;
            _yStart = int.MinValue;
        }

        /// <summary>Points the cache at a band; cached strips survive only if image and band are unchanged.</summary>
        public void Bind(in ImageView image, int yStart)
        {
            if (image.Pixels == _image.Pixels && yStart == _yStart) return;
            _image = image;
            _yStart = yStart;
            Array.Fill(_slotIds, -1);
        }

        /// <summary>Makes columns x0..x0+width-1 available and returns their pixel sum, minimum and maximum.</summary>
        public (double Sum, float Min, float Max) Ensure(int x0, int width, FftPlan.Work work)
        {
            int s0 = x0 / StripColumns, s1 = (x0 + width - 1) / StripColumns;
            for (int s = s0; s <= s1; s++)
            {
                int slot = s & (_o.Slots - 1);
                if (_slotIds[slot] != s)
                {
                    ComputeStrip(s, slot, work);
                    _slotIds[slot] = s;
                }
            }
            double sum = 0;
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            for (int x = x0; x < x0 + width; x++)
            {
                int i = x & _o.RingMask;
                sum += _sum[i];
                min = Math.Min(min, _min[i]);
                max = Math.Max(max, _max[i]);
            }
            return (sum, min, max);
        }

        /// <summary>y transform of the 16 columns of strip s: lanes 0-7 carry columns 16s..16s+7 as real parts, lanes 8-15 as imaginary parts.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void ComputeStrip(int s, int slot, FftPlan.Work work)
        {
            var plan = _o._plan;
            int n = plan.Length, h = PatchSize, x0 = s * StripColumns, width = _image.Width;
            bool prune = plan.CanPrune(h), full = x0 + StripColumns <= width;
            var voff = Vector256.Create(_image.Offset);
            V sumLo = V.Zero, sumHi = V.Zero;
            V minLo = Vector256.Create(float.PositiveInfinity), minHi = minLo;
            V maxLo = Vector256.Create(float.NegativeInfinity), maxHi = maxLo;
            var a = work.A;
            // The input (h rows, then zeros) goes to B; the first FFT stage reads it from there.
            float* dRe = work.B.Re, dIm = work.B.Im;
            float* tail = stackalloc float[StripColumns];
            for (int y = 0; y < h; y++)
            {
                float* row = _image.Pixels + (long)(_yStart + y) * width + x0;
                V lo, hi;
                if (full)
                {
                    lo = Vector256.Load(row) - voff;
                    hi = Vector256.Load(row + L) - voff;
                }
                else
                {
                    // Columns past the image edge read as the offset (zero after subtraction); no patch uses them.
                    for (int c = 0; c < StripColumns; c++) tail[c] = x0 + c < width ? row[c] : _image.Offset;
                    lo = Vector256.Load(tail) - voff;
                    hi = Vector256.Load(tail + L) - voff;
                }
                sumLo += lo; sumHi += hi;
                minLo = Vector256.Min(minLo, lo); minHi = Vector256.Min(minHi, hi);
                maxLo = Vector256.Max(maxLo, lo); maxHi = Vector256.Max(maxHi, hi);
                lo.Store(dRe + y * L);
                hi.Store(dIm + y * L);
            }
            int total = prune ? n / 2 : n;
            new Span<float>(dRe + h * L, (total - h) * L).Clear();
            new Span<float>(dIm + h * L, (total - h) * L).Clear();
            var input = new ContiguousStrip(dRe, dIm);
            var spectrum = new ContiguousStrip(a.Re, a.Im);
            if (prune) plan.ForwardHalf(input, spectrum, work.W1, work.W2);
            else plan.Forward(input, spectrum, work.W1, work.W2);

            // Unpack the two real columns per lane.
            var bx = work.B;
            var by = work.W1;
            int ky = _o.Ky, ky8 = _o.Ky8;
            FftPlan.SplitTwoReal(spectrum, new ContiguousStrip(bx.Re, bx.Im), new ContiguousStrip(by.Re, by.Im), ky, n);
            for (int k = ky; k < ky8; k++)
            {
                V.Zero.Store(bx.Re + k * L); V.Zero.Store(bx.Im + k * L);
                V.Zero.Store(by.Re + k * L); V.Zero.Store(by.Im + k * L);
            }
            // Transpose to column-major slots: slot[col][ky].
            float* sr = SlotRe(slot), si = SlotIm(slot);
            for (int kb = 0; kb < ky8; kb += L)
            {
                StripTranspose.Transpose8x8(bx.Re + kb * L, L, sr + kb, ky8);
                StripTranspose.Transpose8x8(bx.Im + kb * L, L, si + kb, ky8);
                StripTranspose.Transpose8x8(by.Re + kb * L, L, sr + L * ky8 + kb, ky8);
                StripTranspose.Transpose8x8(by.Im + kb * L, L, si + L * ky8 + kb, ky8);
            }
            int b = slot * StripColumns;
            for (int l = 0; l < L; l++)
            {
                _sum[b + l] = sumLo.GetElement(l); _sum[b + L + l] = sumHi.GetElement(l);
                _min[b + l] = minLo.GetElement(l); _min[b + L + l] = minHi.GetElement(l);
                _max[b + l] = maxLo.GetElement(l); _max[b + L + l] = maxHi.GetElement(l);
            }
        }
    }

    /// <summary>
    /// Correlates the pre patch starting at (preX, preY) with the post patch at (postX, postY) (both inside their
    /// images) into <see cref="Workspace.Surface"/>. Returns false when the product is identically zero (a patch
    /// is blank after mean removal) or not finite: SOFIMA finds no peak there.
    /// </summary>
    /// <param name="fixedMean">Subtract this constant instead of each patch's own mean (SOFIMA's mean argument).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Correlate(Workspace ws, in ImageView pre, int preX, int preY, in ImageView post, int postX, int postY, float? fixedMean)
    {
        int na = PreSize, nb = PostSize;
        var work = ws.Work;
        ws.Pre.Bind(pre, preY);
        ws.Post.Bind(post, postY);
        var (sumA, minA, maxA) = ws.Pre.Ensure(preX, na, work);
        var (sumB, minB, maxB) = ws.Post.Ensure(postX, nb, work);
        if (!double.IsFinite(sumA) || !double.IsFinite(sumB) || !float.IsFinite(minA + maxA) || !float.IsFinite(minB + maxB)) return false;
        float muA = fixedMean.HasValue ? fixedMean.Value - pre.Offset : (float)(sumA / ((double)na * na));
        float muB = fixedMean.HasValue ? fixedMean.Value - post.Offset : (float)(sumB / ((double)nb * nb));
        if (IsZeroAfterMean(minA, maxA, muA, fixedMean.HasValue) || IsZeroAfterMean(minB, maxB, muB, fixedMean.HasValue)) return false;

        int n = FftLength;
        for (int g = 0; g < Ky8; g += L)
        {
            XForward(ws.Pre, preX, na, muA, _wyA.Pointer, g, work.A, work);
            XForward(ws.Post, postX, nb, muB, _wyB.Pointer, g, work.B, work);
            // The inverse goes to a third strip: with a single-stage plan the sink is written while the source is read.
            var a = work.C;
            _plan.Forward(new ProductSource(work.A, work.B), new ContiguousStrip(a.Re, a.Im), work.W1, work.W2);
            // a.Im now holds Re(q), a.Re holds Im(q) for x = 0..n-1 and ky = g..g+7: store as Q[ky][x].
            float* qr = ws.QRe + (long)g * QStride, qi = ws.QIm + (long)g * QStride;
            int x = 0;
            for (; x + L <= n; x += L)
            {
                StripTranspose.Transpose8x8(a.Im + x * L, L, qr + x, QStride);
                StripTranspose.Transpose8x8(a.Re + x * L, L, qi + x, QStride);
            }
            for (; x < n; x++)
                for (int l = 0; l < L; l++)
                {
                    qr[(long)l * QStride + x] = a.Im[x * L + l];
                    qi[(long)l * QStride + x] = a.Re[x * L + l];
                }
        }
        YInverse(ws);
        return true;
    }

    private static bool IsZeroAfterMean(float min, float max, float mu, bool fixedMean) => min == max && (!fixedMean || min == mu);

    /// <summary>x transform (length L) of ky rows g..g+7 of a patch's mean-removed column spectra into dst.</summary>
    private void XForward(Band band, int x0, int width, float mu, float* wy, int g, Strip dst, FftPlan.Work work)
    {
        var vmu = Vector256.Create(mu);
        var source = new BandSource(band.Re + g, band.Im + g, x0, width, RingMask, Ky8, vmu * Vector256.Load(wy + g), vmu * Vector256.Load(wy + Ky8 + g));
        var sink = new ContiguousStrip(dst.Re, dst.Im);
        if (_plan.CanPrune(width)) _plan.ForwardHalf(source, sink, work.W1, work.W2);
        else _plan.Forward(source, sink, work.W1, work.W2);
    }

    /// <summary>Element x = cached column spectrum of image column x0 + x (ky lanes g..g+7) minus mu times the box spectrum; 0 past the patch.</summary>
    private readonly struct BandSource(float* re, float* im, int x0, int width, int ringMask, int ky8, V corrRe, V corrIm) : IStripSource
    {
        private readonly float* _re = re, _im = im;
        private readonly int _x0 = x0, _width = width, _mask = ringMask, _ky8 = ky8;
        private readonly V _cr = corrRe, _ci = corrIm;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Load(int e, out V re, out V im)
        {
            if (e >= _width)
            {
                re = V.Zero;
                im = V.Zero;
                return;
            }
            long o = (long)((_x0 + e) & _mask) * _ky8;
            re = Vector256.Load(_re + o) - _cr;
            im = Vector256.Load(_im + o) - _ci;
        }
    }

    /// <summary>Element e = swap(A[e] conj B[e]), so that a forward transform yields swap(n * IFFT(A conj B)).</summary>
    private readonly struct ProductSource(Strip a, Strip b) : IStripSource
    {
        private readonly float* _ar = a.Re, _ai = a.Im, _br = b.Re, _bi = b.Im;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Load(int e, out V re, out V im)
        {
            long o = (long)e << 3;
            V ar = Vector256.Load(_ar + o), ai = Vector256.Load(_ai + o), br = Vector256.Load(_br + o), bi = Vector256.Load(_bi + o);
            re = ai * br - ar * bi;
            im = ar * br + ai * bi;
        }
    }

    /// <summary>
    /// Element f of two packed columns for the y inverse: swap(Q1[f] + i Q2[f]) with Q[-f] = conj Q[f] for f past
    /// ky = n/2; Q1 = columns x0..x0+7, Q2 = columns x0+8..x0+15 of the transposed half spectrum.
    /// </summary>
    private readonly struct HermitianSource(float* qRe, float* qIm, int ky, int n, int stride) : IStripSource
    {
        private readonly float* _qr = qRe, _qi = qIm;
        private readonly int _ky = ky, _n = n, _stride = stride;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Load(int f, out V re, out V im)
        {
            if (f < _ky)
            {
                long o = (long)f * _stride;
                V ar = Vector256.Load(_qr + o), ai = Vector256.Load(_qi + o), br = Vector256.Load(_qr + o + L), bi = Vector256.Load(_qi + o + L);
                re = ai + br;
                im = ar - bi;
            }
            else
            {
                long o = (long)(_n - f) * _stride;
                V ar = Vector256.Load(_qr + o), ai = Vector256.Load(_qi + o), br = Vector256.Load(_qr + o + L), bi = Vector256.Load(_qi + o + L);
                re = br - ai;
                im = ar + bi;
            }
        }
    }

    /// <summary>
    /// Writes output element y of the y inverse (real part = columns x0+8..x0+15, imaginary part = x0..x0+7, as
    /// circular shifts) into the surface, rolled by Nb - 1 per axis, and keeps per-row lane maxima.
    /// </summary>
    private readonly struct SurfaceSink : IStripSink
    {
        private readonly float* _surface, _laneMax;
        private readonly int _x0, _n, _k, _shift, _stride, _kxLo, _kxHi;
        private readonly bool _loContiguous, _hiContiguous;

        public SurfaceSink(float* surface, float* laneMax, int x0, int n, int k, int shift, int stride)
        {
            _surface = surface; _laneMax = laneMax; _x0 = x0; _n = n; _k = k; _shift = shift; _stride = stride;
            _kxLo = Wrap(x0 + shift, n);
            _kxHi = Wrap(x0 + L + shift, n);
            _loContiguous = x0 + L <= n && _kxLo + L <= k;
            _hiContiguous = x0 + 2 * L <= n && _kxHi + L <= k;
        }

        private static int Wrap(int v, int n) => v >= n ? v - n : v;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(int y, V re, V im)
        {
            int row = Wrap(y + _shift, _n);
            if (row >= _k) return;
            float* r = _surface + (long)row * _stride, lm = _laneMax + (long)row * L;
            if (_loContiguous && _hiContiguous)
            {
                im.Store(r + _kxLo);
                re.Store(r + _kxHi);
                Vector256.Max(Vector256.Load(lm), Vector256.Max(im, re)).Store(lm);
                return;
            }
            Scatter(r, lm, im, _x0);
            Scatter(r, lm, re, _x0 + L);
        }

        private void Scatter(float* row, float* lm, V v, int xStart)
        {
            for (int l = 0; l < L && xStart + l < _n; l++)
            {
                int kx = Wrap(xStart + l + _shift, _n);
                if (kx >= _k) continue;
                float value = v.GetElement(l);
                row[kx] = value;
                lm[0] = Math.Max(lm[0], value);
            }
        }
    }

    /// <summary>Complex-to-real inverse along y of 16 columns of Q at a time (two columns per complex lane), written rolled into the surface.</summary>
    private void YInverse(Workspace ws)
    {
        int n = FftLength, k = SurfaceSize, shift = PostSize - 1;
        var work = ws.Work;
        var lowest = Vector256.Create(float.NegativeInfinity);
        for (int y = 0; y < k; y++) lowest.Store(ws.LaneMax + y * L);
        for (int x0 = 0; x0 < n; x0 += StripColumns)
        {
            var source = new HermitianSource(ws.QRe + x0, ws.QIm + x0, Ky, n, QStride);
            var sink = new SurfaceSink(ws.Surface, ws.LaneMax, x0, n, k, shift, SurfaceStride);
            _plan.Forward(source, sink, work.W1, work.W2);
        }
    }
}

using System.Buffers;
using System.Runtime.Intrinsics;
using V = System.Runtime.Intrinsics.Vector256<float>;

namespace EmAlign.Numerics;

/// <summary>
/// Single-precision 2D FFT of Height x Width planes, row-major with x fastest, in split form (separate real
/// and imaginary planes). Complex transforms work in place; real transforms map an image to its half
/// spectrum of Height x <see cref="SpectrumWidth"/> (kx = 0..Width/2, as numpy's rfft2) and back.
/// Forward is unscaled with exp(-2 pi i (ky y / H + kx x / W)); inverses divide by Width*Height.
/// Every method accepts a batch: several planes back to back. Instances are cached and thread-safe.
/// </summary>
public sealed unsafe class Fft2D
{
    private const int L = FftPlan.Lanes;
    private const int ParallelThreshold = 1 << 16;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(int, int), Fft2D> Cache = new();
    private readonly FftPlan _rows, _cols;

    private Fft2D(int height, int width)
    {
        Height = height;
        Width = width;
        _rows = FftPlan.Get(width);
        _cols = FftPlan.Get(height);
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Columns of the half spectrum: Width / 2 + 1.</summary>
    public int SpectrumWidth => Width / 2 + 1;

    public static Fft2D Create(int height, int width)
    {
        if (height < 1) throw new ArgumentOutOfRangeException(nameof(height), height, "Height must be at least 1.");
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), width, "Width must be at least 1.");
        return Cache.GetOrAdd((height, width), static k => new Fft2D(k.Item1, k.Item2));
    }

    /// <summary>Complex forward transform in place.</summary>
    public void Forward(Span<float> re, Span<float> im) => Complex(re, im, inverse: false);

    /// <summary>Complex inverse transform in place, scaled by 1/(Width*Height).</summary>
    public void Inverse(Span<float> re, Span<float> im) => Complex(re, im, inverse: true);

    /// <summary>Real-to-complex forward transform: images (H x W each) to half spectra (H x SpectrumWidth each).</summary>
    public void ForwardReal(ReadOnlySpan<float> images, Span<float> re, Span<float> im) => ForwardReal(images, re, im, parallel: true);

    /// <param name="parallel">False when the caller already runs one transform per thread.</param>
    internal void ForwardReal(ReadOnlySpan<float> images, Span<float> re, Span<float> im, bool parallel)
    {
        int plane = Height * Width, spec = Height * SpectrumWidth;
        int count = RealBatchCount(images.Length, re.Length, im.Length);
        fixed (float* pImg = images, pr = re, pi = im)
            for (int i = 0; i < count; i++)
            {
                RealRowsForward(pImg + (long)i * plane, pr + (long)i * spec, pi + (long)i * spec, parallel);
                Columns(pr + (long)i * spec, pi + (long)i * spec, SpectrumWidth, parallel);
            }
    }

    /// <summary>How many images a real transform's arguments hold; throws when the images and half spectra disagree.</summary>
    private int RealBatchCount(int imagesLength, int reLength, int imLength)
    {
        int plane = Height * Width, spec = Height * SpectrumWidth;
        if (imagesLength % plane != 0) throw new ArgumentException($"images length {imagesLength} is not a multiple of {Height} x {Width}.", "images");
        int count = imagesLength / plane;
        if (reLength != count * spec || imLength != count * spec)
            throw new ArgumentException($"Spectrum planes must hold {count} x {Height} x {SpectrumWidth} values; got {reLength} and {imLength}.");
        return count;
    }

    /// <summary>
    /// Complex-to-real inverse transform, scaled by 1/(Width*Height). As numpy's irfft2, the imaginary parts of
    /// the kx = 0 and (for even Width) kx = Width/2 columns are ignored after the column pass.
    /// </summary>
    public void InverseReal(ReadOnlySpan<float> re, ReadOnlySpan<float> im, Span<float> images) => InverseReal(re, im, images, parallel: true);

    /// <param name="parallel">False when the caller already runs one transform per thread.</param>
    internal void InverseReal(ReadOnlySpan<float> re, ReadOnlySpan<float> im, Span<float> images, bool parallel)
    {
        int plane = Height * Width, spec = Height * SpectrumWidth;
        int count = RealBatchCount(images.Length, re.Length, im.Length);
        var tr = ArrayPool<float>.Shared.Rent(spec);
        var ti = ArrayPool<float>.Shared.Rent(spec);
        try
        {
            fixed (float* pImg = images, pr = tr, pi = ti)
                for (int i = 0; i < count; i++)
                {
                    re.Slice(i * spec, spec).CopyTo(tr);
                    im.Slice(i * spec, spec).CopyTo(ti);
                    // Inverse columns = forward on swapped planes.
                    Columns(pi, pr, SpectrumWidth, parallel);
                    RealRowsInverse(pr, pi, pImg + (long)i * plane, 1f / plane, parallel);
                }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(tr);
            ArrayPool<float>.Shared.Return(ti);
        }
    }

    private void Complex(Span<float> re, Span<float> im, bool inverse)
    {
        int plane = Height * Width;
        if (re.Length != im.Length || re.Length % plane != 0)
            throw new ArgumentException($"re and im must have the same length, a multiple of {Height} x {Width}; got {re.Length} and {im.Length}.");
        int count = re.Length / plane;
        fixed (float* pr0 = re, pi0 = im)
        {
            // Inverse = swap(FFT(swap(x))) / N: hand the planes over exchanged.
            float* pr = inverse ? pi0 : pr0, pi = inverse ? pr0 : pi0;
            float scale = inverse ? 1f / plane : 1f;
            for (int i = 0; i < count; i++)
            {
                ComplexRows(pr + (long)i * plane, pi + (long)i * plane, scale);
                Columns(pr + (long)i * plane, pi + (long)i * plane, Width, parallel: true);
            }
        }
    }

    private void ForGroups(int groups, Action<int> body, bool parallel = true)
    {
        if (parallel && (long)Height * Width >= ParallelThreshold && groups > 1) Parallel.For(0, groups, body);
        else for (int g = 0; g < groups; g++) body(g);
    }

    private void ComplexRows(float* re, float* im, float scale)
    {
        nint pre = (nint)re, pim = (nint)im;
        int w = Width, h = Height;
        ForGroups((h + L - 1) / L, g =>
        {
            var work = _rows.Rent();
            try
            {
                int r0 = g * L, rows = Math.Min(L, h - r0);
                float* r = (float*)pre + (long)r0 * w, i = (float*)pim + (long)r0 * w;
                var a = work.A;
                StripTranspose.RowsToStrip(r, w, rows, w, a.Re);
                StripTranspose.RowsToStrip(i, w, rows, w, a.Im);
                _rows.Forward(a, a, work.W1, work.W2);
                StripTranspose.StripToRows(a.Re, w, r, w, rows, scale);
                StripTranspose.StripToRows(a.Im, w, i, w, rows, scale);
            }
            finally { _rows.Return(work); }
        });
    }

    /// <summary>Forward transform along y of columns 0..cols-1 of planes with row stride cols, in place.</summary>
    private void Columns(float* re, float* im, int cols, bool parallel)
    {
        nint pre = (nint)re, pim = (nint)im;
        int h = Height;
        ForGroups((cols + L - 1) / L, g =>
        {
            var work = _cols.Rent();
            try
            {
                int x0 = g * L;
                float* r = (float*)pre + x0, i = (float*)pim + x0;
                if (x0 + L <= cols)
                {
                    var s = new Strip(r, i, cols);
                    _cols.Forward(s, s, work.W1, work.W2);
                    return;
                }
                int lanes = cols - x0;
                var a = work.A;
                for (int y = 0; y < h; y++)
                    for (int l = 0; l < L; l++)
                    {
                        a.Re[y * L + l] = l < lanes ? r[(long)y * cols + l] : 0f;
                        a.Im[y * L + l] = l < lanes ? i[(long)y * cols + l] : 0f;
                    }
                _cols.Forward(a, a, work.W1, work.W2);
                for (int y = 0; y < h; y++)
                    for (int l = 0; l < lanes; l++)
                    {
                        r[(long)y * cols + l] = a.Re[y * L + l];
                        i[(long)y * cols + l] = a.Im[y * L + l];
                    }
            }
            finally { _cols.Return(work); }
        }, parallel);
    }

    /// <summary>Row r2c: rows packed in pairs (row r in the real part, row r+8 in the imaginary part) per strip.</summary>
    private void RealRowsForward(float* image, float* specRe, float* specIm, bool parallel)
    {
        nint pimg = (nint)image, psr = (nint)specRe, psi = (nint)specIm;
        int w = Width, h = Height, wh = SpectrumWidth;
        ForGroups((h + 2 * L - 1) / (2 * L), g =>
        {
            var work = _rows.Rent();
            try
            {
                int r0 = g * 2 * L, rowsA = Math.Min(L, h - r0), rowsB = Math.Clamp(h - r0 - L, 0, L);
                float* img = (float*)pimg;
                var a = work.A;
                StripTranspose.RowsToStrip(img + (long)r0 * w, w, rowsA, w, a.Re);
                StripTranspose.RowsToStrip(img + (long)(r0 + L) * w, w, rowsB, w, a.Im);
                _rows.Forward(a, a, work.W1, work.W2);
                // Split Z = FA + i FB into the two rows' spectra.
                var b1 = work.B;
                var b2 = work.W1;
                FftPlan.SplitTwoReal(new ContiguousStrip(a.Re, a.Im), new ContiguousStrip(b1.Re, b1.Im), new ContiguousStrip(b2.Re, b2.Im), wh, w);
                float* sr = (float*)psr, si = (float*)psi;
                StripTranspose.StripToRows(b1.Re, wh, sr + (long)r0 * wh, wh, rowsA, 1f);
                StripTranspose.StripToRows(b1.Im, wh, si + (long)r0 * wh, wh, rowsA, 1f);
                if (rowsB > 0)
                {
                    StripTranspose.StripToRows(b2.Re, wh, sr + (long)(r0 + L) * wh, wh, rowsB, 1f);
                    StripTranspose.StripToRows(b2.Im, wh, si + (long)(r0 + L) * wh, wh, rowsB, 1f);
                }
            }
            finally { _rows.Return(work); }
        }, parallel);
    }

    /// <summary>Row c2r of half-spectrum rows (after the column inverse), two rows per strip, scaled.</summary>
    private void RealRowsInverse(float* specRe, float* specIm, float* image, float scale, bool parallel)
    {
        nint pimg = (nint)image, psr = (nint)specRe, psi = (nint)specIm;
        int w = Width, h = Height, wh = SpectrumWidth;
        ForGroups((h + 2 * L - 1) / (2 * L), g =>
        {
            var work = _rows.Rent();
            try
            {
                int r0 = g * 2 * L, rowsA = Math.Min(L, h - r0), rowsB = Math.Clamp(h - r0 - L, 0, L);
                float* sr = (float*)psr, si = (float*)psi;
                var fa = work.B;
                var fb = work.W1;
                StripTranspose.RowsToStrip(sr + (long)r0 * wh, wh, rowsA, wh, fa.Re);
                StripTranspose.RowsToStrip(si + (long)r0 * wh, wh, rowsA, wh, fa.Im);
                StripTranspose.RowsToStrip(sr + (long)(r0 + L) * wh, wh, rowsB, wh, fb.Re);
                StripTranspose.RowsToStrip(si + (long)(r0 + L) * wh, wh, rowsB, wh, fb.Im);
                // The DC and Nyquist bins of a real row are real.
                V.Zero.Store(fa.Im); V.Zero.Store(fb.Im);
                if (w % 2 == 0) { V.Zero.Store(fa.Im + (w / 2) * L); V.Zero.Store(fb.Im + (w / 2) * L); }
                // Z = FA + i FB over the full row, using FA[-k] = conj FA[k].
                var z = work.A;
                for (int k = 0; k < w; k++)
                {
                    V ar, ai, br, bi;
                    if (k < wh)
                    {
                        ar = Vector256.Load(fa.Re + k * L); ai = Vector256.Load(fa.Im + k * L);
                        br = Vector256.Load(fb.Re + k * L); bi = Vector256.Load(fb.Im + k * L);
                    }
                    else
                    {
                        int k2 = w - k;
                        ar = Vector256.Load(fa.Re + k2 * L); ai = -Vector256.Load(fa.Im + k2 * L);
                        br = Vector256.Load(fb.Re + k2 * L); bi = -Vector256.Load(fb.Im + k2 * L);
                    }
                    (ar - bi).Store(z.Re + k * L);
                    (ai + br).Store(z.Im + k * L);
                }
                var zs = z.Swapped;
                _rows.Forward(zs, zs, work.W1, work.W2);
                float* img = (float*)pimg;
                StripTranspose.StripToRows(z.Re, w, img + (long)r0 * w, w, rowsA, scale);
                if (rowsB > 0) StripTranspose.StripToRows(z.Im, w, img + (long)(r0 + L) * w, w, rowsB, scale);
            }
            finally { _rows.Return(work); }
        }, parallel);
    }
}

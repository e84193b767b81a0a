using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using V = System.Runtime.Intrinsics.Vector256<float>;

namespace EmAlign.Numerics;

/// <summary>
/// Stockham radix stages on 8-lane strips (see <see cref="FftPlan"/>). Stage with radix R after
/// sub-transforms of length Ns: butterfly j = b*Ns + k reads elements j + q*N/R, multiplies input q by
/// w^(q k) with w = exp(-2 pi i / (Ns R)), takes an R-point DFT and writes output q to b*Ns*R + k + q*Ns.
/// After the last stage the result is in natural order.
/// </summary>
internal static unsafe class FftKernels
{
    private static readonly ConcurrentDictionary<int, float[]> DftTables = new();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static V MulAdd(V a, V b, V c) => Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static V MulSub(V a, V b, V c) => Fma.IsSupported ? Fma.MultiplySubtract(a, b, c) : a * b - c;

    /// <summary>(xr + i xi) * (wr + i wi) with broadcast twiddle.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Twiddle(ref V xr, ref V xi, float wr, float wi)
    {
        V vr = Vector256.Create(wr), vi = Vector256.Create(wi);
        V r = MulSub(xr, vr, xi * vi);
        xi = MulAdd(xr, vi, xi * vr);
        xr = r;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Radix2(Strip src, Strip dst, int n, int ns, float* twr, float* twi)
    {
        int m = n / 2;
        long si = src.Stride, so = dst.Stride, step = m * si, ostep = ns * so;
        for (int j0 = 0; j0 < m; j0 += ns)
            for (int k = 0; k < ns; k++)
            {
                long a = (j0 + k) * si;
                V x0r = Vector256.Load(src.Re + a), x0i = Vector256.Load(src.Im + a);
                V x1r = Vector256.Load(src.Re + a + step), x1i = Vector256.Load(src.Im + a + step);
                if (k != 0) Twiddle(ref x1r, ref x1i, twr[k], twi[k]);
                long o = ((long)j0 * 2 + k) * so;
                (x0r + x1r).Store(dst.Re + o); (x0i + x1i).Store(dst.Im + o);
                (x0r - x1r).Store(dst.Re + o + ostep); (x0i - x1i).Store(dst.Im + o + ostep);
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Radix3(Strip src, Strip dst, int n, int ns, float* twr, float* twi)
    {
        int m = n / 3;
        long si = src.Stride, so = dst.Stride, step = m * si, ostep = ns * so;
        V half = Vector256.Create(0.5f), s60 = Vector256.Create((float)(Math.Sqrt(3) / 2));
        for (int j0 = 0; j0 < m; j0 += ns)
            for (int k = 0; k < ns; k++)
            {
                long a = (j0 + k) * si;
                V x0r = Vector256.Load(src.Re + a), x0i = Vector256.Load(src.Im + a);
                V x1r = Vector256.Load(src.Re + a + step), x1i = Vector256.Load(src.Im + a + step);
                V x2r = Vector256.Load(src.Re + a + 2 * step), x2i = Vector256.Load(src.Im + a + 2 * step);
                if (k != 0)
                {
                    Twiddle(ref x1r, ref x1i, twr[2 * k], twi[2 * k]);
                    Twiddle(ref x2r, ref x2i, twr[2 * k + 1], twi[2 * k + 1]);
                }
                V t1r = x1r + x2r, t1i = x1i + x2i;
                V br = s60 * (x1r - x2r), bi = s60 * (x1i - x2i);
                V ar = x0r - half * t1r, ai = x0i - half * t1i;
                long o = ((long)j0 * 3 + k) * so;
                (x0r + t1r).Store(dst.Re + o); (x0i + t1i).Store(dst.Im + o);
                // X1 = a - i b, X2 = a + i b.
                (ar + bi).Store(dst.Re + o + ostep); (ai - br).Store(dst.Im + o + ostep);
                (ar - bi).Store(dst.Re + o + 2 * ostep); (ai + br).Store(dst.Im + o + 2 * ostep);
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Radix4(Strip src, Strip dst, int n, int ns, float* twr, float* twi)
    {
        int m = n / 4;
        long si = src.Stride, so = dst.Stride, step = m * si, ostep = ns * so;
        for (int j0 = 0; j0 < m; j0 += ns)
            for (int k = 0; k < ns; k++)
            {
                long a = (j0 + k) * si;
                V x0r = Vector256.Load(src.Re + a), x0i = Vector256.Load(src.Im + a);
                V x1r = Vector256.Load(src.Re + a + step), x1i = Vector256.Load(src.Im + a + step);
                V x2r = Vector256.Load(src.Re + a + 2 * step), x2i = Vector256.Load(src.Im + a + 2 * step);
                V x3r = Vector256.Load(src.Re + a + 3 * step), x3i = Vector256.Load(src.Im + a + 3 * step);
                if (k != 0)
                {
                    float* wr = twr + 3 * k, wi = twi + 3 * k;
                    Twiddle(ref x1r, ref x1i, wr[0], wi[0]);
                    Twiddle(ref x2r, ref x2i, wr[1], wi[1]);
                    Twiddle(ref x3r, ref x3i, wr[2], wi[2]);
                }
                V t0r = x0r + x2r, t0i = x0i + x2i, t1r = x0r - x2r, t1i = x0i - x2i;
                V t2r = x1r + x3r, t2i = x1i + x3i, t3r = x1r - x3r, t3i = x1i - x3i;
                long o = ((long)j0 * 4 + k) * so;
                (t0r + t2r).Store(dst.Re + o); (t0i + t2i).Store(dst.Im + o);
                (t1r + t3i).Store(dst.Re + o + ostep); (t1i - t3r).Store(dst.Im + o + ostep);
                (t0r - t2r).Store(dst.Re + o + 2 * ostep); (t0i - t2i).Store(dst.Im + o + 2 * ostep);
                (t1r - t3i).Store(dst.Re + o + 3 * ostep); (t1i + t3r).Store(dst.Im + o + 3 * ostep);
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Radix5(Strip src, Strip dst, int n, int ns, float* twr, float* twi)
    {
        int m = n / 5;
        long si = src.Stride, so = dst.Stride, step = m * si, ostep = ns * so;
        V c1 = Vector256.Create((float)Math.Cos(2 * Math.PI / 5)), c2 = Vector256.Create((float)Math.Cos(4 * Math.PI / 5));
        V s1 = Vector256.Create((float)Math.Sin(2 * Math.PI / 5)), s2 = Vector256.Create((float)Math.Sin(4 * Math.PI / 5));
        for (int j0 = 0; j0 < m; j0 += ns)
            for (int k = 0; k < ns; k++)
            {
                long a = (j0 + k) * si;
                V x0r = Vector256.Load(src.Re + a), x0i = Vector256.Load(src.Im + a);
                V x1r = Vector256.Load(src.Re + a + step), x1i = Vector256.Load(src.Im + a + step);
                V x2r = Vector256.Load(src.Re + a + 2 * step), x2i = Vector256.Load(src.Im + a + 2 * step);
                V x3r = Vector256.Load(src.Re + a + 3 * step), x3i = Vector256.Load(src.Im + a + 3 * step);
                V x4r = Vector256.Load(src.Re + a + 4 * step), x4i = Vector256.Load(src.Im + a + 4 * step);
                if (k != 0)
                {
                    float* wr = twr + 4 * k, wi = twi + 4 * k;
                    Twiddle(ref x1r, ref x1i, wr[0], wi[0]);
                    Twiddle(ref x2r, ref x2i, wr[1], wi[1]);
                    Twiddle(ref x3r, ref x3i, wr[2], wi[2]);
                    Twiddle(ref x4r, ref x4i, wr[3], wi[3]);
                }
                V t1r = x1r + x4r, t1i = x1i + x4i, t2r = x2r + x3r, t2i = x2i + x3i;
                V t3r = x1r - x4r, t3i = x1i - x4i, t4r = x2r - x3r, t4i = x2i - x3i;
                V a1r = MulAdd(c2, t2r, MulAdd(c1, t1r, x0r)), a1i = MulAdd(c2, t2i, MulAdd(c1, t1i, x0i));
                V a2r = MulAdd(c1, t2r, MulAdd(c2, t1r, x0r)), a2i = MulAdd(c1, t2i, MulAdd(c2, t1i, x0i));
                V b1r = MulAdd(s2, t4r, s1 * t3r), b1i = MulAdd(s2, t4i, s1 * t3i);
                V b2r = MulSub(s2, t3r, s1 * t4r), b2i = MulSub(s2, t3i, s1 * t4i);
                long o = ((long)j0 * 5 + k) * so;
                (x0r + t1r + t2r).Store(dst.Re + o); (x0i + t1i + t2i).Store(dst.Im + o);
                // X1 = a1 - i b1, X4 = a1 + i b1, X2 = a2 - i b2, X3 = a2 + i b2.
                (a1r + b1i).Store(dst.Re + o + ostep); (a1i - b1r).Store(dst.Im + o + ostep);
                (a2r + b2i).Store(dst.Re + o + 2 * ostep); (a2i - b2r).Store(dst.Im + o + 2 * ostep);
                (a2r - b2i).Store(dst.Re + o + 3 * ostep); (a2i + b2r).Store(dst.Im + o + 3 * ostep);
                (a1r - b1i).Store(dst.Re + o + 4 * ostep); (a1i + b1r).Store(dst.Im + o + 4 * ostep);
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Radix8(Strip src, Strip dst, int n, int ns, float* twr, float* twi)
    {
        int m = n / 8;
        long si = src.Stride, so = dst.Stride, step = m * si, ostep = ns * so;
        V c = Vector256.Create((float)Math.Sqrt(0.5));
        for (int j0 = 0; j0 < m; j0 += ns)
            for (int k = 0; k < ns; k++)
            {
                long a = (j0 + k) * si;
                float* pr = src.Re + a, pi = src.Im + a;
                V x0r = Vector256.Load(pr), x0i = Vector256.Load(pi);
                V x1r = Vector256.Load(pr + step), x1i = Vector256.Load(pi + step);
                V x2r = Vector256.Load(pr + 2 * step), x2i = Vector256.Load(pi + 2 * step);
                V x3r = Vector256.Load(pr + 3 * step), x3i = Vector256.Load(pi + 3 * step);
                V x4r = Vector256.Load(pr + 4 * step), x4i = Vector256.Load(pi + 4 * step);
                V x5r = Vector256.Load(pr + 5 * step), x5i = Vector256.Load(pi + 5 * step);
                V x6r = Vector256.Load(pr + 6 * step), x6i = Vector256.Load(pi + 6 * step);
                V x7r = Vector256.Load(pr + 7 * step), x7i = Vector256.Load(pi + 7 * step);
                if (k != 0)
                {
                    float* wr = twr + 7 * k, wi = twi + 7 * k;
                    Twiddle(ref x1r, ref x1i, wr[0], wi[0]);
                    Twiddle(ref x2r, ref x2i, wr[1], wi[1]);
                    Twiddle(ref x3r, ref x3i, wr[2], wi[2]);
                    Twiddle(ref x4r, ref x4i, wr[3], wi[3]);
                    Twiddle(ref x5r, ref x5i, wr[4], wi[4]);
                    Twiddle(ref x6r, ref x6i, wr[5], wi[5]);
                    Twiddle(ref x7r, ref x7i, wr[6], wi[6]);
                }
                // Radix-2 split: a0..a3 = x_n + x_{n+4}; a4..a7 = (x_n - x_{n+4}) * w8^n.
                V a0r = x0r + x4r, a0i = x0i + x4i, a4r = x0r - x4r, a4i = x0i - x4i;
                V a1r = x1r + x5r, a1i = x1i + x5i, d1r = x1r - x5r, d1i = x1i - x5i;
                V a2r = x2r + x6r, a2i = x2i + x6i, d2r = x2r - x6r, d2i = x2i - x6i;
                V a3r = x3r + x7r, a3i = x3i + x7i, d3r = x3r - x7r, d3i = x3i - x7i;
                V a5r = c * (d1r + d1i), a5i = c * (d1i - d1r);   // * exp(-i pi/4)
                V a6r = d2i, a6i = -d2r;                            // * -i
                V a7r = c * (d3i - d3r), a7i = -c * (d3r + d3i);  // * exp(-3i pi/4)
                long o = ((long)j0 * 8 + k) * so;
                float* qr = dst.Re + o, qi = dst.Im + o;
                Dft4(a0r, a0i, a1r, a1i, a2r, a2i, a3r, a3i, qr, qi, 2 * ostep);
                Dft4(a4r, a4i, a5r, a5i, a6r, a6i, a7r, a7i, qr + ostep, qi + ostep, 2 * ostep);
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dft4(V x0r, V x0i, V x1r, V x1i, V x2r, V x2i, V x3r, V x3i, float* qr, float* qi, long os)
    {
        V t0r = x0r + x2r, t0i = x0i + x2i, t1r = x0r - x2r, t1i = x0i - x2i;
        V t2r = x1r + x3r, t2i = x1i + x3i, t3r = x1r - x3r, t3i = x1i - x3i;
        (t0r + t2r).Store(qr); (t0i + t2i).Store(qi);
        (t1r + t3i).Store(qr + os); (t1i - t3r).Store(qi + os);
        (t0r - t2r).Store(qr + 2 * os); (t0i - t2i).Store(qi + 2 * os);
        (t1r - t3i).Store(qr + 3 * os); (t1i + t3r).Store(qi + 3 * os);
    }

    /// <summary>Any radix r by a direct r-point DFT (used for prime factors above 5).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RadixGeneric(Strip src, Strip dst, int n, int r, int ns, float* twr, float* twi, Span<V> scratch)
    {
        int m = n / r;
        long si = src.Stride, so = dst.Stride, step = m * si, ostep = ns * so;
        var table = DftTables.GetOrAdd(r, static rr =>
        {
            var t = new float[2 * rr];
            for (int q = 0; q < rr; q++) { t[2 * q] = (float)Math.Cos(-2 * Math.PI * q / rr); t[2 * q + 1] = (float)Math.Sin(-2 * Math.PI * q / rr); }
            return t;
        });
        var xr = scratch[..r];
        var xi = scratch.Slice(r, r);
        for (int j0 = 0; j0 < m; j0 += ns)
            for (int k = 0; k < ns; k++)
            {
                long a = (j0 + k) * si;
                for (int q = 0; q < r; q++)
                {
                    V vr = Vector256.Load(src.Re + a + q * step), vi = Vector256.Load(src.Im + a + q * step);
                    if (k != 0 && q != 0) Twiddle(ref vr, ref vi, twr[k * (r - 1) + q - 1], twi[k * (r - 1) + q - 1]);
                    xr[q] = vr; xi[q] = vi;
                }
                long o = ((long)j0 * r + k) * so;
                for (int q = 0; q < r; q++)
                {
                    V accR = xr[0], accI = xi[0];
                    for (int p = 1; p < r; p++)
                    {
                        int idx = (int)((long)p * q % r);
                        V wr = Vector256.Create(table[2 * idx]), wi = Vector256.Create(table[2 * idx + 1]);
                        accR = MulSub(xr[p], wr, MulSub(xi[p], wi, accR));
                        accI = MulAdd(xr[p], wi, MulAdd(xi[p], wr, accI));
                    }
                    accR.Store(dst.Re + o + q * ostep); accI.Store(dst.Im + o + q * ostep);
                }
            }
    }
}

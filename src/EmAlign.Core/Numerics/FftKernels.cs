using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using V = System.Runtime.Intrinsics.Vector256<float>;

namespace EmAlign.Numerics;

/// <summary>Where an FFT stage reads element e (8 lanes, real and imaginary parts).</summary>
internal interface IStripSource
{
    void Load(int e, out V re, out V im);
}

/// <summary>Where an FFT stage writes element e.</summary>
internal interface IStripSink
{
    void Store(int e, V re, V im);
}

/// <summary>A contiguous strip (element stride 8 floats): the work strips between stages.</summary>
internal readonly unsafe struct ContiguousStrip(float* re, float* im) : IStripSource, IStripSink
{
    private readonly float* _re = re, _im = im;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Load(int e, out V re, out V im)
    {
        re = Vector256.Load(_re + ((long)e << 3));
        im = Vector256.Load(_im + ((long)e << 3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(int e, V re, V im)
    {
        re.Store(_re + ((long)e << 3));
        im.Store(_im + ((long)e << 3));
    }
}

/// <summary>
/// Stockham radix stages on 8-lane strips (see <see cref="FftPlan"/>). Stage with radix R after
/// sub-transforms of length Ns: butterfly j = b*Ns + k reads elements j + q*N/R, multiplies input q by
/// w^(q k) with w = exp(-2 pi i / (Ns R)), takes an R-point DFT and writes output q to b*Ns*R + k + q*Ns.
/// After the last stage the result is in natural order. Sources and sinks are generic so that the first stage
/// can read, and the last stage write, any layout without an extra pass (the JIT specialises each pairing).
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
    public static void Radix2<TS, TD>(TS src, TD dst, int n, int ns, float* twr, float* twi)
        where TS : struct, IStripSource where TD : struct, IStripSink
    {
        int m = n / 2;
        for (int j0 = 0; j0 < m; j0 += ns)
            for (int k = 0; k < ns; k++)
            {
                int j = j0 + k;
                src.Load(j, out V x0r, out V x0i);
                src.Load(j + m, out V x1r, out V x1i);
                if (k != 0) Twiddle(ref x1r, ref x1i, twr[k], twi[k]);
                int o = j0 * 2 + k;
                dst.Store(o, x0r + x1r, x0i + x1i);
                dst.Store(o + ns, x0r - x1r, x0i - x1i);
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Radix3<TS, TD>(TS src, TD dst, int n, int ns, float* twr, float* twi)
        where TS : struct, IStripSource where TD : struct, IStripSink
    {
        int m = n / 3;
        V half = Vector256.Create(0.5f), s60 = Vector256.Create((float)(Math.Sqrt(3) / 2));
        for (int j0 = 0; j0 < m; j0 += ns)
            for (int k = 0; k < ns; k++)
            {
                int j = j0 + k;
                src.Load(j, out V x0r, out V x0i);
                src.Load(j + m, out V x1r, out V x1i);
                src.Load(j + 2 * m, out V x2r, out V x2i);
                if (k != 0)
                {
                    Twiddle(ref x1r, ref x1i, twr[2 * k], twi[2 * k]);
                    Twiddle(ref x2r, ref x2i, twr[2 * k + 1], twi[2 * k + 1]);
                }
                V t1r = x1r + x2r, t1i = x1i + x2i;
                V br = s60 * (x1r - x2r), bi = s60 * (x1i - x2i);
                V ar = x0r - half * t1r, ai = x0i - half * t1i;
                int o = j0 * 3 + k;
                dst.Store(o, x0r + t1r, x0i + t1i);
                // X1 = a - i b, X2 = a + i b.
                dst.Store(o + ns, ar + bi, ai - br);
                dst.Store(o + 2 * ns, ar - bi, ai + br);
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Radix4<TS, TD>(TS src, TD dst, int n, int ns, float* twr, float* twi)
        where TS : struct, IStripSource where TD : struct, IStripSink
    {
        int m = n / 4;
        for (int j0 = 0; j0 < m; j0 += ns)
            for (int k = 0; k < ns; k++)
            {
                int j = j0 + k;
                src.Load(j, out V x0r, out V x0i);
                src.Load(j + m, out V x1r, out V x1i);
                src.Load(j + 2 * m, out V x2r, out V x2i);
                src.Load(j + 3 * m, out V x3r, out V x3i);
                if (k != 0)
                {
                    float* wr = twr + 3 * k, wi = twi + 3 * k;
                    Twiddle(ref x1r, ref x1i, wr[0], wi[0]);
                    Twiddle(ref x2r, ref x2i, wr[1], wi[1]);
                    Twiddle(ref x3r, ref x3i, wr[2], wi[2]);
                }
                Dft4(x0r, x0i, x1r, x1i, x2r, x2i, x3r, x3i, dst, j0 * 4 + k, ns);
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Radix5<TS, TD>(TS src, TD dst, int n, int ns, float* twr, float* twi)
        where TS : struct, IStripSource where TD : struct, IStripSink
    {
        int m = n / 5;
        V c1 = Vector256.Create((float)Math.Cos(2 * Math.PI / 5)), c2 = Vector256.Create((float)Math.Cos(4 * Math.PI / 5));
        V s1 = Vector256.Create((float)Math.Sin(2 * Math.PI / 5)), s2 = Vector256.Create((float)Math.Sin(4 * Math.PI / 5));
        for (int j0 = 0; j0 < m; j0 += ns)
            for (int k = 0; k < ns; k++)
            {
                int j = j0 + k;
                src.Load(j, out V x0r, out V x0i);
                src.Load(j + m, out V x1r, out V x1i);
                src.Load(j + 2 * m, out V x2r, out V x2i);
                src.Load(j + 3 * m, out V x3r, out V x3i);
                src.Load(j + 4 * m, out V x4r, out V x4i);
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
                int o = j0 * 5 + k;
                dst.Store(o, x0r + t1r + t2r, x0i + t1i + t2i);
                // X1 = a1 - i b1, X4 = a1 + i b1, X2 = a2 - i b2, X3 = a2 + i b2.
                dst.Store(o + ns, a1r + b1i, a1i - b1r);
                dst.Store(o + 2 * ns, a2r + b2i, a2i - b2r);
                dst.Store(o + 3 * ns, a2r - b2i, a2i + b2r);
                dst.Store(o + 4 * ns, a1r - b1i, a1i + b1r);
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Radix8<TS, TD>(TS src, TD dst, int n, int ns, float* twr, float* twi)
        where TS : struct, IStripSource where TD : struct, IStripSink
    {
        int m = n / 8;
        V c = Vector256.Create((float)Math.Sqrt(0.5));
        for (int j0 = 0; j0 < m; j0 += ns)
            for (int k = 0; k < ns; k++)
            {
                int j = j0 + k;
                src.Load(j, out V x0r, out V x0i);
                src.Load(j + m, out V x1r, out V x1i);
                src.Load(j + 2 * m, out V x2r, out V x2i);
                src.Load(j + 3 * m, out V x3r, out V x3i);
                src.Load(j + 4 * m, out V x4r, out V x4i);
                src.Load(j + 5 * m, out V x5r, out V x5i);
                src.Load(j + 6 * m, out V x6r, out V x6i);
                src.Load(j + 7 * m, out V x7r, out V x7i);
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
                int o = j0 * 8 + k;
                Dft4(a0r, a0i, a1r, a1i, a2r, a2i, a3r, a3i, dst, o, 2 * ns);
                Dft4(a4r, a4i, a5r, a5i, a6r, a6i, a7r, a7i, dst, o + ns, 2 * ns);
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dft4<TD>(V x0r, V x0i, V x1r, V x1i, V x2r, V x2i, V x3r, V x3i, TD dst, int o, int os) where TD : struct, IStripSink
    {
        V t0r = x0r + x2r, t0i = x0i + x2i, t1r = x0r - x2r, t1i = x0i - x2i;
        V t2r = x1r + x3r, t2i = x1i + x3i, t3r = x1r - x3r, t3i = x1i - x3i;
        dst.Store(o, t0r + t2r, t0i + t2i);
        dst.Store(o + os, t1r + t3i, t1i - t3r);
        dst.Store(o + 2 * os, t0r - t2r, t0i - t2i);
        dst.Store(o + 3 * os, t1r - t3i, t1i + t3r);
    }

    /// <summary>Any radix r by a direct r-point DFT (used for prime factors above 5).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RadixGeneric<TS, TD>(TS src, TD dst, int n, int r, int ns, float* twr, float* twi, Span<V> scratch)
        where TS : struct, IStripSource where TD : struct, IStripSink
    {
        int m = n / r;
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
                int j = j0 + k;
                for (int q = 0; q < r; q++)
                {
                    src.Load(j + q * m, out V vr, out V vi);
                    if (k != 0 && q != 0) Twiddle(ref vr, ref vi, twr[k * (r - 1) + q - 1], twi[k * (r - 1) + q - 1]);
                    xr[q] = vr; xi[q] = vi;
                }
                int o = j0 * r + k;
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
                    dst.Store(o + q * ns, accR, accI);
                }
            }
    }
}

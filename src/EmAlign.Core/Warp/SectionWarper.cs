using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using EmAlign.Diagnostics;
using EmAlign.Geometry;
using EmAlign.Maps;

namespace EmAlign.Warp;

/// <summary>
/// Renders a section through an <b>inverse</b> coordinate map (SOFIMA warp_subvolume, spec §5.1):
/// output pixel (X, Y) takes the input section sampled at (X + Δx, Y + Δy), where Δ is the map
/// interpolated bilinearly from its stride grid to the pixel (the edge cells' bilinear functions
/// extend beyond the outer nodes). Pixels whose taps fall outside the input section read 0; a pixel
/// near an unknown (NaN) node, and every pixel of a section whose map is all unknown, is 0.
/// </summary>
/// <remarks>
/// <para>
/// Tiles: <see cref="WarpTile{T}(SectionImage{T}, CoordinateMap, int, Box3, Memory{T}, WarpInterpolation, int)"/>
/// renders any output box from any input box. Results do not depend on the tiling: every output
/// pixel is computed from absolute coordinates and the same arithmetic, so tiles whose input covers
/// <see cref="RequiredSourceBox"/> (clipped to the section) join without seams, bit for bit.
/// </para>
/// <para>
/// Differences from SOFIMA/OpenCV: sub-pixel positions are resolved to 1/256 px for the wide kernels
/// (OpenCV: 1/32) and exactly for bilinear; there is no ±32767 px coordinate limit; Lanczos weights
/// are normalised to sum 1 as OpenCV does.
/// </para>
/// </remarks>
public static class SectionWarper
{
    private const int Invalid = MapRows.Invalid;
    private const int RowsPerTask = 8;

    /// <summary>
    /// Renders <paramref name="outputBox"/> (section pixels; z unused) of local section
    /// <paramref name="section"/> of <paramref name="inverseMap"/> into <paramref name="output"/>
    /// (C order, outputBox.SizeY × outputBox.SizeX), sampling <paramref name="source"/>.
    /// T is byte, ushort or float for every interpolation; any unmanaged type (labels) for Nearest.
    /// Integer outputs are rounded (half to even) and saturated.
    /// </summary>
    public static void WarpTile<T>(SectionImage<T> source, CoordinateMap inverseMap, int section, Box3 outputBox, Memory<T> output,
        WarpInterpolation interpolation = WarpInterpolation.Lanczos4, int maxDegreeOfParallelism = -1) where T : unmanaged
    {
        if (outputBox.SizeX <= 0 || outputBox.SizeY <= 0 || outputBox.SizeX > int.MaxValue)
            throw new EmAlignException($"The output box must be non-empty; found {outputBox}.", "outputBox");
        if (output.Length < outputBox.SizeX * outputBox.SizeY)
            throw new EmAlignException($"The output buffer has {output.Length} pixels; the output box {outputBox} needs {outputBox.SizeX * outputBox.SizeY}.", "output");
        if ((uint)section >= (uint)inverseMap.Sections)
            throw new EmAlignException($"Section {section} is outside the map's 0..{inverseMap.Sections - 1}.", "section");
        if (interpolation != WarpInterpolation.Nearest && typeof(T) != typeof(byte) && typeof(T) != typeof(ushort) && typeof(T) != typeof(float))
            throw new EmAlignException($"{interpolation} interpolation needs uint8, uint16 or float32 pixels; found {typeof(T).Name}. Use Nearest for labels.", "interpolation");

        int outW = (int)outputBox.SizeX, outH = (int)outputBox.SizeY;
        var target = output[..(outW * outH)];
        if (!inverseMap.HasValidNode(section))
        {
            target.Span.Clear();
            return;
        }

        var job = new Job(source.Box, inverseMap, section, outputBox, interpolation);
        using var sourceHandle = source.Pixels.Pin();
        using var outputHandle = target.Pin();
        nint src, dst;
        unsafe
        {
            src = (nint)sourceHandle.Pointer;
            dst = (nint)outputHandle.Pointer;
        }
        int tasks = (outH + RowsPerTask - 1) / RowsPerTask;
        Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, t =>
            WarpRows<T>(job, src, dst, t * RowsPerTask, Math.Min(outH, (t + 1) * RowsPerTask)));
    }

    /// <summary>As the other overload, returning a new array of outputBox.SizeY × outputBox.SizeX pixels.</summary>
    public static T[] WarpTile<T>(SectionImage<T> source, CoordinateMap inverseMap, int section, Box3 outputBox,
        WarpInterpolation interpolation = WarpInterpolation.Lanczos4, int maxDegreeOfParallelism = -1) where T : unmanaged
    {
        var result = new T[outputBox.SizeX * outputBox.SizeY];
        WarpTile(source, inverseMap, section, outputBox, result, interpolation, maxDegreeOfParallelism);
        return result;
    }

    /// <summary>
    /// The input pixel box that rendering <paramref name="outputBox"/> reads with
    /// <paramref name="interpolation"/>: the exact range of the sample positions (the map is bilinear
    /// per cell, so its extremes over a cell lie at the cell's corner pixels) grown by the kernel's
    /// reach, plus one pixel of rounding margin. Clip it to the section before reading. Empty when no output pixel has a known position.
    /// </summary>
    public static Box3 RequiredSourceBox(CoordinateMap inverseMap, int section, Box3 outputBox, WarpInterpolation interpolation)
    {
        var rows = new MapRows(inverseMap, section);
        long x0 = outputBox.X, x1 = outputBox.EndX - 1, y0 = outputBox.Y, y1 = outputBox.EndY - 1;
        var xs = CellCorners(x0, x1, inverseMap.Box.X, inverseMap.StrideX, inverseMap.Width);
        var ys = CellCorners(y0, y1, inverseMap.Box.Y, inverseMap.StrideY, inverseMap.Height);
        var rowDx = new float[inverseMap.Width];
        var rowDy = new float[inverseMap.Width];
        double minU = double.PositiveInfinity, maxU = double.NegativeInfinity, minV = double.PositiveInfinity, maxV = double.NegativeInfinity;
        foreach (long y in ys)
        {
            rows.Row(y, rowDx, rowDy);
            foreach (long x in xs)
            {
                rows.At(x, rowDx, rowDy, out double du, out double dv);
                double u = x + du, v = y + dv;
                if (!double.IsFinite(u) || !double.IsFinite(v)) continue;
                minU = Math.Min(minU, u);
                maxU = Math.Max(maxU, u);
                minV = Math.Min(minV, v);
                maxV = Math.Max(maxV, v);
            }
        }
        if (minU > maxU) return new Box3(0, 0, outputBox.Z, 0, 0, outputBox.SizeZ);
        // One extra pixel each side: rendering computes positions in float32, this bound in float64.
        var (before, after) = WarpKernel.Reach(interpolation);
        before++;
        after++;
        long bx0 = (long)Math.Floor(minU) - before, bx1 = (long)Math.Floor(maxU) + after;
        long by0 = (long)Math.Floor(minV) - before, by1 = (long)Math.Floor(maxV) + after;
        return new Box3(bx0, by0, outputBox.Z, bx1 - bx0 + 1, by1 - by0 + 1, outputBox.SizeZ);
    }

    /// <summary>The first and last pixel of each map cell's share of [p0, p1] (pixel centres).</summary>
    private static List<long> CellCorners(long p0, long p1, long boxStart, double stride, int nodes)
    {
        var result = new List<long> { p0, p1 };
        for (int j = 1; j < nodes - 1; j++)
        {
            // Node j's pixel position splits cells j−1 and j; the pixels on either side are the corners.
            long first = (long)Math.Ceiling((boxStart + j) * stride);
            foreach (long p in new[] { first - 1, first })
                if (p > p0 && p < p1) result.Add(p);
        }
        return result;
    }

    /// <summary>Everything a worker needs, independent of the pixel type.</summary>
    private sealed class Job(Box3 sourceBox, CoordinateMap map, int section, Box3 outputBox, WarpInterpolation interpolation)
    {
        public readonly MapRows Rows = new(map, section);
        public readonly long SourceX = sourceBox.X, SourceY = sourceBox.Y;
        public readonly int SourceWidth = (int)sourceBox.SizeX, SourceHeight = (int)sourceBox.SizeY;
        public readonly long OutX = outputBox.X, OutY = outputBox.Y;
        public readonly int OutWidth = (int)outputBox.SizeX;
        public readonly int MapWidth = map.Width;
        public readonly WarpInterpolation Interpolation = interpolation;
        public readonly WarpKernel? Kernel = interpolation is WarpInterpolation.Nearest or WarpInterpolation.Linear ? null : WarpKernel.For(interpolation);
    }

    private static unsafe void WarpRows<T>(Job job, nint src, nint dst, int r0, int r1) where T : unmanaged
    {
        int w = job.OutWidth;
        var rowDx = ArrayPool<float>.Shared.Rent(job.MapWidth);
        var rowDy = ArrayPool<float>.Shared.Rent(job.MapWidth);
        var ix = ArrayPool<int>.Shared.Rent(w + 8);
        var iy = ArrayPool<int>.Shared.Rent(w + 8);
        var tx = ArrayPool<float>.Shared.Rent(w + 8);
        var ty = ArrayPool<float>.Shared.Rent(w + 8);
        try
        {
            bool round = job.Interpolation == WarpInterpolation.Nearest;
            for (int r = r0; r < r1; r++)
            {
                job.Rows.Positions(job.OutY + r, job.OutX, w, job.SourceX, job.SourceY, job.SourceWidth, job.SourceHeight, round, rowDx, rowDy, ix, iy, tx, ty);
                T* output = (T*)dst + (long)r * w;
                switch (job.Interpolation)
                {
                    case WarpInterpolation.Nearest:
                        SampleNearest((T*)src, job.SourceWidth, job.SourceHeight, ix, iy, output, w);
                        break;
                    case WarpInterpolation.Linear:
                        SampleLinear((T*)src, job.SourceWidth, job.SourceHeight, ix, iy, tx, ty, output, w);
                        break;
                    default:
                        SampleSeparable((T*)src, job.SourceWidth, job.SourceHeight, job.Kernel!, ix, iy, tx, ty, output, w);
                        break;
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rowDx);
            ArrayPool<float>.Shared.Return(rowDy);
            ArrayPool<int>.Shared.Return(ix);
            ArrayPool<int>.Shared.Return(iy);
            ArrayPool<float>.Shared.Return(tx);
            ArrayPool<float>.Shared.Return(ty);
        }
    }

    private static unsafe void SampleNearest<T>(T* src, int sw, int sh, int[] ix, int[] iy, T* output, int w) where T : unmanaged
    {
        for (int c = 0; c < w; c++)
        {
            int x = ix[c], y = iy[c];
            output[c] = x != Invalid && (uint)x < (uint)sw && (uint)y < (uint)sh ? src[(long)y * sw + x] : default;
        }
    }

    private static unsafe void SampleLinear<T>(T* src, int sw, int sh, int[] ix, int[] iy, float[] tx, float[] ty, T* output, int w) where T : unmanaged
    {
        for (int c = 0; c < w; c++)
        {
            int x = ix[c], y = iy[c];
            if (x == Invalid)
            {
                output[c] = default;
                continue;
            }
            float a, b, d, e;
            if ((uint)x < (uint)(sw - 1) && (uint)y < (uint)(sh - 1))
            {
                T* p = src + (long)y * sw + x;
                a = ToFloat(p[0]);
                b = ToFloat(p[1]);
                d = ToFloat(p[sw]);
                e = ToFloat(p[sw + 1]);
            }
            else
            {
                a = At(src, sw, sh, x, y);
                b = At(src, sw, sh, x + 1, y);
                d = At(src, sw, sh, x, y + 1);
                e = At(src, sw, sh, x + 1, y + 1);
            }
            float fx = tx[c], fy = ty[c];
            float top = a + fx * (b - a), bottom = d + fx * (e - d);
            output[c] = FromFloat<T>(top + fy * (bottom - top));
        }
    }

    private static unsafe float At<T>(T* src, int sw, int sh, int x, int y) where T : unmanaged =>
        (uint)x < (uint)sw && (uint)y < (uint)sh ? ToFloat(src[(long)y * sw + x]) : 0f;

    /// <summary>
    /// Separable wide kernels. The window (Taps rows × 8 columns) is read straight from the source
    /// when it lies inside, otherwise copied into a zero-padded block first; both go through the
    /// same vector arithmetic, so a pixel's value never depends on which path computed it.
    /// </summary>
    private static unsafe void SampleSeparable<T>(T* src, int sw, int sh, WarpKernel kernel, int[] ix, int[] iy, float[] tx, float[] ty, T* output, int w)
        where T : unmanaged
    {
        int taps = kernel.Taps, first = kernel.First;
        float* block = stackalloc float[WarpKernel.Width * WarpKernel.Width];
        fixed (float* weights = kernel.Weights)
        {
            for (int c = 0; c < w; c++)
            {
                int x = ix[c];
                if (x == Invalid)
                {
                    output[c] = default;
                    continue;
                }
                int y = iy[c];
                int qx = (int)(tx[c] * WarpKernel.Steps + 0.5f), qy = (int)(ty[c] * WarpKernel.Steps + 0.5f);
                if (qx == WarpKernel.Steps)
                {
                    x++;
                    qx = 0;
                }
                if (qy == WarpKernel.Steps)
                {
                    y++;
                    qy = 0;
                }
                x += first;
                y += first;
                float* wx = weights + qx * WarpKernel.Width;
                float* wy = weights + qy * WarpKernel.Width;
                float value;
                if (x >= 0 && x <= sw - WarpKernel.Width && y >= 0 && y <= sh - taps)
                {
                    value = taps == WarpKernel.Width ? Convolve8(src + (long)y * sw + x, sw, wx, wy) : Convolve(src + (long)y * sw + x, sw, taps, wx, wy);
                }
                else if (x + taps <= 0 || x >= sw || y + taps <= 0 || y >= sh)
                {
                    value = 0;
                }
                else
                {
                    for (int r = 0; r < taps; r++)
                    {
                        int yy = y + r;
                        for (int k = 0; k < WarpKernel.Width; k++)
                        {
                            int xx = x + k;
                            block[r * WarpKernel.Width + k] = (uint)yy < (uint)sh && (uint)xx < (uint)sw ? ToFloat(src[(long)yy * sw + xx]) : 0f;
                        }
                    }
                    value = taps == WarpKernel.Width ? Convolve8(block, WarpKernel.Width, wx, wy) : Convolve(block, WarpKernel.Width, taps, wx, wy);
                }
                output[c] = FromFloat<T>(value);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float Convolve<TPixel>(TPixel* p, int stride, int taps, float* wx, float* wy) where TPixel : unmanaged
    {
        var acc = Vector256<float>.Zero;
        for (int r = 0; r < taps; r++, p += stride) acc = MulAdd(Vector256.Create(wy[r]), Load8(p), acc);
        return Vector256.Sum(acc * Vector256.Load(wx));
    }

    /// <summary>8 taps, unrolled into two independent accumulator chains (rows 0–3 and 4–7) to halve the FMA latency chain.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float Convolve8<TPixel>(TPixel* p, int stride, float* wx, float* wy) where TPixel : unmanaged
    {
        var top = Vector256.Create(wy[0]) * Load8(p);
        var bottom = Vector256.Create(wy[4]) * Load8(p + 4 * stride);
        top = MulAdd(Vector256.Create(wy[1]), Load8(p + stride), top);
        bottom = MulAdd(Vector256.Create(wy[5]), Load8(p + 5 * stride), bottom);
        top = MulAdd(Vector256.Create(wy[2]), Load8(p + 2 * stride), top);
        bottom = MulAdd(Vector256.Create(wy[6]), Load8(p + 6 * stride), bottom);
        top = MulAdd(Vector256.Create(wy[3]), Load8(p + 3 * stride), top);
        bottom = MulAdd(Vector256.Create(wy[7]), Load8(p + 7 * stride), bottom);
        return Vector256.Sum((top + bottom) * Vector256.Load(wx));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;

    /// <summary>Eight consecutive pixels as float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> Load8<TPixel>(TPixel* p) where TPixel : unmanaged
    {
        if (typeof(TPixel) == typeof(float)) return Vector256.Load((float*)p);
        if (Avx2.IsSupported)
        {
            if (typeof(TPixel) == typeof(byte)) return Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32((byte*)p));
            if (typeof(TPixel) == typeof(ushort)) return Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32((ushort*)p));
        }
        return Vector256.Create(ToFloat(p[0]), ToFloat(p[1]), ToFloat(p[2]), ToFloat(p[3]), ToFloat(p[4]), ToFloat(p[5]), ToFloat(p[6]), ToFloat(p[7]));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ToFloat<T>(T value) where T : unmanaged
    {
        if (typeof(T) == typeof(byte)) return Unsafe.As<T, byte>(ref value);
        if (typeof(T) == typeof(ushort)) return Unsafe.As<T, ushort>(ref value);
        if (typeof(T) == typeof(float)) return Unsafe.As<T, float>(ref value);
        throw new NotSupportedException($"Interpolating {typeof(T).Name} pixels is not supported.");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T FromFloat<T>(float value) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Unsafe.As<float, T>(ref value);
        if (typeof(T) == typeof(byte))
        {
            byte b = (byte)Math.Clamp(MathF.Round(value), 0f, 255f);
            return Unsafe.As<byte, T>(ref b);
        }
        if (typeof(T) == typeof(ushort))
        {
            ushort s = (ushort)Math.Clamp(MathF.Round(value), 0f, 65535f);
            return Unsafe.As<ushort, T>(ref s);
        }
        throw new NotSupportedException($"Interpolating {typeof(T).Name} pixels is not supported.");
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using V = System.Runtime.Intrinsics.Vector256<float>;

namespace EmAlign.Numerics;

/// <summary>
/// Moves data between row-major planes (x fastest) and 8-lane strips (element = position along the row,
/// lane = row), with 8x8 SIMD transposes where AVX is present.
/// </summary>
internal static unsafe class StripTranspose
{
    /// <summary>dst[c * dstStride + r] = src[r * srcStride + c] for r, c in 0..7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose8x8(float* src, long srcStride, float* dst, long dstStride)
    {
        if (Avx.IsSupported)
        {
            V r0 = Vector256.Load(src), r1 = Vector256.Load(src + srcStride), r2 = Vector256.Load(src + 2 * srcStride), r3 = Vector256.Load(src + 3 * srcStride);
            V r4 = Vector256.Load(src + 4 * srcStride), r5 = Vector256.Load(src + 5 * srcStride), r6 = Vector256.Load(src + 6 * srcStride), r7 = Vector256.Load(src + 7 * srcStride);
            V t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            V t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
            V s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE), s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
            V s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE), s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);
            Avx.Permute2x128(s0, s4, 0x20).Store(dst);
            Avx.Permute2x128(s1, s5, 0x20).Store(dst + dstStride);
            Avx.Permute2x128(s2, s6, 0x20).Store(dst + 2 * dstStride);
            Avx.Permute2x128(s3, s7, 0x20).Store(dst + 3 * dstStride);
            Avx.Permute2x128(s0, s4, 0x31).Store(dst + 4 * dstStride);
            Avx.Permute2x128(s1, s5, 0x31).Store(dst + 5 * dstStride);
            Avx.Permute2x128(s2, s6, 0x31).Store(dst + 6 * dstStride);
            Avx.Permute2x128(s3, s7, 0x31).Store(dst + 7 * dstStride);
            return;
        }
        for (int r = 0; r < 8; r++)
            for (int c = 0; c < 8; c++)
                dst[c * dstStride + r] = src[r * srcStride + c];
    }

    /// <summary>
    /// Loads rows 0..rows-1 (rows &lt;= 8) of a plane, elements 0..length-1, into a contiguous strip
    /// (lane = row); lanes of missing rows are zero.
    /// </summary>
    public static void RowsToStrip(float* plane, long rowStride, int rows, int length, float* strip)
    {
        int c = 0;
        if (rows == 8)
            for (; c + 8 <= length; c += 8)
                Transpose8x8(plane + c, rowStride, strip + c * FftPlan.Lanes, FftPlan.Lanes);
        for (; c < length; c++)
        {
            float* d = strip + c * FftPlan.Lanes;
            for (int r = 0; r < 8; r++) d[r] = r < rows ? plane[r * rowStride + c] : 0f;
        }
    }

    /// <summary>
    /// Stores lanes 0..rows-1 of a contiguous strip (elements 0..length-1) to rows of a plane, times
    /// <paramref name="scale"/> (the strip is scaled in place first).
    /// </summary>
    public static void StripToRows(float* strip, int length, float* plane, long rowStride, int rows, float scale)
    {
        if (scale != 1f)
        {
            var vs = Vector256.Create(scale);
            for (int e = 0; e < length; e++) (Vector256.Load(strip + e * FftPlan.Lanes) * vs).Store(strip + e * FftPlan.Lanes);
            scale = 1f;
        }
        int c = 0;
        if (rows == 8)
            for (; c + 8 <= length; c += 8)
                Transpose8x8(strip + c * FftPlan.Lanes, FftPlan.Lanes, plane + c, rowStride);
        for (; c < length; c++)
        {
            float* s = strip + c * FftPlan.Lanes;
            for (int r = 0; r < rows; r++) plane[r * rowStride + c] = s[r] * scale;
        }
    }
}

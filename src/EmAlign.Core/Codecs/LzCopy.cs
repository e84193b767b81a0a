using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EmAlign.Codecs;

/// <summary>
/// Copy primitives shared by the LZ-family decoders and encoders (LZ4, BloscLZ). Callers check all
/// bounds; the "wild" variants may write up to 32 bytes past the requested length and are only used
/// where the caller has verified that much slack inside the destination.
/// </summary>
internal static unsafe class LzCopy
{
    /// <summary>Slack the wild copies need past the end of the requested range.</summary>
    public const int WildSlack = 32;

    /// <summary>For a match distance below 8: the smallest multiple of the distance that is at least 8.</summary>
    private static ReadOnlySpan<byte> PatternStride => [0, 8, 8, 9, 8, 10, 12, 14];

    /// <summary>Copies <paramref name="length"/> non-overlapping bytes in 16-byte steps (may overshoot by up to 15).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WildCopy16(byte* dst, byte* src, nuint length)
    {
        byte* end = dst + length;
        do
        {
            Vector128.Load(src).Store(dst);
            dst += 16;
            src += 16;
        }
        while (dst < end);
    }

    /// <summary>
    /// Copies a match of <paramref name="length"/> bytes from <paramref name="distance"/> bytes back
    /// with LZ77 overlap semantics (distance 1 repeats one byte). Requires
    /// <paramref name="distance"/> &lt;= bytes already written and <paramref name="length"/> &lt;= oend - op.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Match(byte* op, nuint distance, nuint length, byte* oend)
    {
        byte* match = op - distance;
        if ((nuint)(oend - op) >= length + WildSlack)
        {
            if (distance >= 16)
            {
                WildCopy16(op, match, length);
            }
            else if (distance == 1)
            {
                if (length <= 64)
                {
                    var v = Vector128.Create(*match);
                    for (nuint p = 0; p < length; p += 16) v.Store(op + p);
                }
                else
                {
                    Unsafe.InitBlockUnaligned(op, *match, (uint)length);
                }
            }
            else
            {
                MatchShortDistance(op, match, distance, length);
            }
            return;
        }
        MatchAtEnd(op, match, distance, length);
    }

    /// <summary>Distance 2..15 with slack: 8-byte steps from a source at least 8 bytes back.</summary>
    private static void MatchShortDistance(byte* op, byte* match, nuint distance, nuint length)
    {
        nuint stride = distance;
        nuint p = 0;
        if (distance < 8)
        {
            // Lay down the first 8 bytes one at a time; afterwards the output is periodic with a
            // period that is a multiple of the distance and at least 8, so 8-byte reads never overlap writes.
            for (; p < 8; p++) op[p] = match[p];
            stride = PatternStride[(int)distance];
        }
        for (; p < length; p += 8)
            Unsafe.WriteUnaligned(op + p, Unsafe.ReadUnaligned<ulong>(op + p - stride));
    }

    /// <summary>Exact copy near the end of the destination (no writes past op + length).</summary>
    private static void MatchAtEnd(byte* op, byte* match, nuint distance, nuint length)
    {
        nuint p = 0;
        if (distance >= 16)
        {
            for (; p + 16 <= length; p += 16) Vector128.Load(match + p).Store(op + p);
        }
        else if (distance == 1)
        {
            Unsafe.InitBlockUnaligned(op, *match, (uint)length);
            return;
        }
        for (; p < length; p++) op[p] = match[p];
    }

    /// <summary>Length of the common prefix of <paramref name="a"/> and <paramref name="b"/>, reading <paramref name="a"/> no further than <paramref name="aLimit"/> (exclusive).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint CommonLength(byte* a, byte* b, byte* aLimit)
    {
        byte* start = a;
        while (a + 8 <= aLimit)
        {
            ulong diff = Unsafe.ReadUnaligned<ulong>(a) ^ Unsafe.ReadUnaligned<ulong>(b);
            if (diff != 0) return (nuint)(a - start) + (nuint)(BitOperations.TrailingZeroCount(diff) >> 3);
            a += 8;
            b += 8;
        }
        while (a < aLimit && *a == *b)
        {
            a++;
            b++;
        }
        return (nuint)(a - start);
    }
}

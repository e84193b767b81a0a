using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EmAlign.Codecs;

/// <summary>
/// Blosc's shuffle filters over one buffer of <c>n</c> whole elements of <c>T</c> bytes plus
/// <c>r = length % T</c> trailing bytes that are copied unchanged (also numcodecs' "shuffle" filter,
/// applied to the whole chunk).
/// Byte shuffle: <c>out[j·n + i] = in[i·T + j]</c> (byte planes, byte 0 first).
/// Bit shuffle: <c>T·8</c> bit planes of <c>n</c> bits (byte 0 bit 0 first, bits LSB-first in each
/// byte); left unchanged when <c>n</c> is not a multiple of 8.
/// Source and destination must not overlap.
/// </summary>
public static unsafe class BloscShuffle
{
    public static void ByteShuffle(ReadOnlySpan<byte> source, Span<byte> destination, int typeSize)
    {
        CheckArguments(source, destination, typeSize);
        fixed (byte* s = source)
        fixed (byte* d = destination)
            ByteShuffle(s, d, source.Length, typeSize);
    }

    public static void ByteUnshuffle(ReadOnlySpan<byte> source, Span<byte> destination, int typeSize)
    {
        CheckArguments(source, destination, typeSize);
        fixed (byte* s = source)
        fixed (byte* d = destination)
            ByteUnshuffle(s, d, source.Length, typeSize);
    }

    /// <param name="source">Elements to shuffle.</param>
    /// <param name="destination">Receives the bit planes (same length as source).</param>
    /// <param name="typeSize">Element size in bytes.</param>
    /// <param name="scratch">Work space of at least source.Length bytes.</param>
    public static void BitShuffle(ReadOnlySpan<byte> source, Span<byte> destination, int typeSize, Span<byte> scratch)
    {
        CheckArguments(source, destination, typeSize);
        if (scratch.Length < source.Length) throw new ArgumentException("Scratch must be as long as the source.", nameof(scratch));
        fixed (byte* s = source)
        fixed (byte* d = destination)
        fixed (byte* t = scratch)
            BitShuffle(s, d, source.Length, typeSize, t);
    }

    /// <param name="source">Bit planes.</param>
    /// <param name="destination">Receives the elements (same length as source).</param>
    /// <param name="typeSize">Element size in bytes.</param>
    /// <param name="scratch">Work space of at least source.Length bytes.</param>
    public static void BitUnshuffle(ReadOnlySpan<byte> source, Span<byte> destination, int typeSize, Span<byte> scratch)
    {
        CheckArguments(source, destination, typeSize);
        if (scratch.Length < source.Length) throw new ArgumentException("Scratch must be as long as the source.", nameof(scratch));
        fixed (byte* s = source)
        fixed (byte* d = destination)
        fixed (byte* t = scratch)
            BitUnshuffle(s, d, source.Length, typeSize, t);
    }

    private static void CheckArguments(ReadOnlySpan<byte> source, Span<byte> destination, int typeSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(typeSize, 1);
        if (destination.Length < source.Length) throw new ArgumentException("Destination is shorter than the source.", nameof(destination));
    }

    internal static void ByteShuffle(byte* src, byte* dst, int length, int typeSize)
    {
        int n = length / typeSize;
        if (typeSize == 1 || n == 0)
        {
            Buffer.MemoryCopy(src, dst, length, length);
            return;
        }
        int i = 0;
        if (typeSize == 2 && Ssse3.IsSupported) i = Shuffle2(src, dst, n);
        else if (typeSize == 4 && Ssse3.IsSupported) i = Shuffle4(src, dst, n);
        for (; i < n; i++)
        {
            byte* element = src + (nint)i * typeSize;
            for (int j = 0; j < typeSize; j++) dst[(nint)j * n + i] = element[j];
        }
        int whole = n * typeSize;
        Buffer.MemoryCopy(src + whole, dst + whole, length - whole, length - whole);
    }

    internal static void ByteUnshuffle(byte* src, byte* dst, int length, int typeSize)
    {
        int n = length / typeSize;
        if (typeSize == 1 || n == 0)
        {
            Buffer.MemoryCopy(src, dst, length, length);
            return;
        }
        int i = 0;
        if (typeSize == 2 && Sse2.IsSupported) i = Unshuffle2(src, dst, n);
        else if (typeSize == 4 && Sse2.IsSupported) i = Unshuffle4(src, dst, n);
        for (; i < n; i++)
        {
            byte* element = dst + (nint)i * typeSize;
            for (int j = 0; j < typeSize; j++) element[j] = src[(nint)j * n + i];
        }
        int whole = n * typeSize;
        Buffer.MemoryCopy(src + whole, dst + whole, length - whole, length - whole);
    }

    /// <summary>16 elements per step: gather even/odd bytes, then split the halves into the two planes.</summary>
    private static int Shuffle2(byte* src, byte* dst, int n)
    {
        var mask = Vector128.Create((byte)0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
        byte* plane1 = dst + n;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var a = Ssse3.Shuffle(Vector128.Load(src + 2 * i), mask).AsUInt64();
            var b = Ssse3.Shuffle(Vector128.Load(src + 2 * i + 16), mask).AsUInt64();
            Sse2.UnpackLow(a, b).AsByte().Store(dst + i);
            Sse2.UnpackHigh(a, b).AsByte().Store(plane1 + i);
        }
        return i;
    }

    private static int Unshuffle2(byte* src, byte* dst, int n)
    {
        byte* plane1 = src + n;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var p0 = Vector128.Load(src + i);
            var p1 = Vector128.Load(plane1 + i);
            Sse2.UnpackLow(p0, p1).Store(dst + 2 * i);
            Sse2.UnpackHigh(p0, p1).Store(dst + 2 * i + 16);
        }
        return i;
    }

    /// <summary>16 elements per step: group each vector's bytes by plane, then transpose the 4×4 dwords.</summary>
    private static int Shuffle4(byte* src, byte* dst, int n)
    {
        var mask = Vector128.Create((byte)0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            byte* s = src + 4 * i;
            var v0 = Ssse3.Shuffle(Vector128.Load(s), mask).AsUInt32();
            var v1 = Ssse3.Shuffle(Vector128.Load(s + 16), mask).AsUInt32();
            var v2 = Ssse3.Shuffle(Vector128.Load(s + 32), mask).AsUInt32();
            var v3 = Ssse3.Shuffle(Vector128.Load(s + 48), mask).AsUInt32();
            var t0 = Sse2.UnpackLow(v0, v1).AsUInt64();
            var t1 = Sse2.UnpackHigh(v0, v1).AsUInt64();
            var t2 = Sse2.UnpackLow(v2, v3).AsUInt64();
            var t3 = Sse2.UnpackHigh(v2, v3).AsUInt64();
            Sse2.UnpackLow(t0, t2).AsByte().Store(dst + i);
            Sse2.UnpackHigh(t0, t2).AsByte().Store(dst + n + i);
            Sse2.UnpackLow(t1, t3).AsByte().Store(dst + 2 * n + i);
            Sse2.UnpackHigh(t1, t3).AsByte().Store(dst + 3 * n + i);
        }
        return i;
    }

    private static int Unshuffle4(byte* src, byte* dst, int n)
    {
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var p0 = Vector128.Load(src + i);
            var p1 = Vector128.Load(src + n + i);
            var p2 = Vector128.Load(src + 2 * n + i);
            var p3 = Vector128.Load(src + 3 * n + i);
            var lo01 = Sse2.UnpackLow(p0, p1).AsUInt16();
            var hi01 = Sse2.UnpackHigh(p0, p1).AsUInt16();
            var lo23 = Sse2.UnpackLow(p2, p3).AsUInt16();
            var hi23 = Sse2.UnpackHigh(p2, p3).AsUInt16();
            byte* d = dst + 4 * i;
            Sse2.UnpackLow(lo01, lo23).AsByte().Store(d);
            Sse2.UnpackHigh(lo01, lo23).AsByte().Store(d + 16);
            Sse2.UnpackLow(hi01, hi23).AsByte().Store(d + 32);
            Sse2.UnpackHigh(hi01, hi23).AsByte().Store(d + 48);
        }
        return i;
    }

    /// <summary>Byte shuffle into scratch, then split each byte plane into its 8 bit planes.</summary>
    internal static void BitShuffle(byte* src, byte* dst, int length, int typeSize, byte* scratch)
    {
        int n = length / typeSize;
        if (n % 8 != 0 || n == 0)
        {
            Buffer.MemoryCopy(src, dst, length, length);
            return;
        }
        ByteShuffle(src, scratch, n * typeSize, typeSize);
        int planeBytes = n / 8;
        for (int j = 0; j < typeSize; j++)
        {
            byte* bytes = scratch + (nint)j * n;
            byte* planes = dst + (nint)j * 8 * planeBytes;
            int i = 0;
            if (Sse2.IsSupported)
            {
                // MoveMask collects the top bit of 16 bytes: shift each bit to the top in turn.
                for (; i + 16 <= n; i += 16)
                {
                    var v = Vector128.Load(bytes + i);
                    for (int b = 7; b >= 0; b--)
                    {
                        Unsafe.WriteUnaligned(planes + (nint)b * planeBytes + i / 8, (ushort)Sse2.MoveMask(v));
                        v = Sse2.Add(v, v);
                    }
                }
            }
            for (; i < n; i += 8)
            {
                ulong t = Transpose8x8(Unsafe.ReadUnaligned<ulong>(bytes + i));
                for (int b = 0; b < 8; b++) planes[(nint)b * planeBytes + i / 8] = (byte)(t >> (8 * b));
            }
        }
        int whole = n * typeSize;
        Buffer.MemoryCopy(src + whole, dst + whole, length - whole, length - whole);
    }

    /// <summary>Merge each group of 8 bit planes back into a byte plane in scratch, then byte-unshuffle.</summary>
    internal static void BitUnshuffle(byte* src, byte* dst, int length, int typeSize, byte* scratch)
    {
        int n = length / typeSize;
        if (n % 8 != 0 || n == 0)
        {
            Buffer.MemoryCopy(src, dst, length, length);
            return;
        }
        int planeBytes = n / 8;
        for (int j = 0; j < typeSize; j++)
        {
            byte* planes = src + (nint)j * 8 * planeBytes;
            byte* bytes = scratch + (nint)j * n;
            for (int g = 0; g < planeBytes; g++)
            {
                ulong x = 0;
                for (int b = 0; b < 8; b++) x |= (ulong)planes[(nint)b * planeBytes + g] << (8 * b);
                Unsafe.WriteUnaligned(bytes + 8 * g, Transpose8x8(x));
            }
        }
        ByteUnshuffle(scratch, dst, n * typeSize, typeSize);
        int whole = n * typeSize;
        Buffer.MemoryCopy(src + whole, dst + whole, length - whole, length - whole);
    }

    /// <summary>Transposes the 8×8 bit matrix whose row r is byte r: bit c of byte r moves to bit r of byte c.</summary>
    private static ulong Transpose8x8(ulong x)
    {
        ulong t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAUL;
        x ^= t ^ (t << 7);
        t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCUL;
        x ^= t ^ (t << 14);
        t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0UL;
        x ^= t ^ (t << 28);
        return x;
    }
}

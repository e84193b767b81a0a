using System.Runtime.CompilerServices;
using EmAlign.Diagnostics;

namespace EmAlign.Codecs;

/// <summary>
/// BloscLZ, Blosc's own LZ77 codec (inner format 0). A stream is a series of instructions:
/// a control byte below 32 copies that many plus one literal bytes; otherwise the top three bits
/// hold the match length minus 2 (7 = extended by 255-runs) and the low five bits the high byte of
/// the distance minus 1, followed by its low byte; distances of 8192 and more use the escape
/// (low five bits 31, low byte 255) and a 16-bit big-endian distance - 8192. The first control
/// byte is always a literal run (its top three bits are ignored) and c-blosc requires the stream
/// to end with a literal run.
/// </summary>
public static unsafe class BloscLz
{
    private const int MinMatch = 4;          // the format allows 3; 4 keeps the 32-bit hash probe exact
    private const int MaxLiteralRun = 32;
    private const int MaxNearDistance = 8191;
    private const int MaxDistance = 8192 + 65535;
    private const int LastLiterals = 4;       // bytes always left as literals at the end
    private const int SkipTrigger = 6;
    private const int HashLog = 13;

    [ThreadStatic] private static int[]? t_table;

    /// <summary>Largest possible encoded size of <paramref name="length"/> input bytes (all literals).</summary>
    public static int MaxEncodedLength(int length) => length + (length + MaxLiteralRun - 1) / MaxLiteralRun;

    /// <summary>
    /// Decodes one stream into <paramref name="destination"/> and returns the number of bytes produced
    /// (0 for an empty stream). Never writes past <paramref name="destination"/>.
    /// </summary>
    /// <exception cref="CorruptDataException">Truncated stream, a distance before the start of the
    /// output, or more output than destination.Length.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Decode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.IsEmpty) return 0;
        fixed (byte* srcStart = source)
        fixed (byte* dstStart = destination)
        {
            byte* ip = srcStart, iend = srcStart + source.Length;
            byte* op = dstStart, oend = dstStart + destination.Length;
            uint control = *ip++ & 31u;
            while (true)
            {
                if (control < 32)
                {
                    nuint run = control + 1;
                    if ((nuint)(iend - ip) < run) throw new CorruptDataException($"BloscLZ stream of {source.Length} bytes is truncated inside a literal run.");
                    if ((nuint)(oend - op) < run) throw TooLong(destination.Length);
                    if (iend - ip >= 32 && oend - op >= 32)
                        LzCopy.WildCopy16(op, ip, run);
                    else
                        Buffer.MemoryCopy(ip, op, run, run);
                    ip += run;
                    op += run;
                }
                else
                {
                    nuint length = (control >> 5) - 1;
                    nuint high = (control & 31) << 8;
                    if (length == 6)
                    {
                        uint b;
                        do
                        {
                            if (ip >= iend) throw Truncated(source.Length);
                            b = *ip++;
                            length += b;
                        }
                        while (b == 255);
                    }
                    if (ip >= iend) throw Truncated(source.Length);
                    uint low = *ip++;
                    length += 3;
                    nuint distance = high + low + 1;
                    if (low == 255 && high == 31 << 8)
                    {
                        if (iend - ip < 2) throw Truncated(source.Length);
                        distance = (nuint)((ip[0] << 8) | ip[1]) + 8192;
                        ip += 2;
                    }
                    if (distance > (nuint)(op - dstStart))
                        throw new CorruptDataException($"BloscLZ stream refers {distance} bytes back at output position {op - dstStart}.");
                    if ((nuint)(oend - op) < length) throw TooLong(destination.Length);
                    LzCopy.Match(op, distance, length, oend);
                    op += length;
                }
                if (ip >= iend) break;
                control = *ip++;
            }
            return (int)(op - dstStart);
        }
    }

    private static CorruptDataException Truncated(int length) => new($"BloscLZ stream of {length} bytes is truncated inside a match.");

    private static CorruptDataException TooLong(int capacity) => new($"BloscLZ stream decodes to more than the expected {capacity} bytes.");

    /// <summary>
    /// Greedy hash-table compression into a stream c-blosc decodes. Returns the encoded length, or 0
    /// when the result would not fit in <paramref name="destination"/> (never overrun) or the input
    /// is empty; <see cref="MaxEncodedLength"/> bytes always suffice.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Encode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int n = source.Length;
        if (n == 0) return 0;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            byte* op = dst, oend = dst + destination.Length;
            byte* iend = src + n;
            byte* anchor = src;
            // Matches end before the last literals and are probed where 8 bytes are readable.
            byte* matchLimit = iend - LastLiterals;
            byte* searchLimit = iend - LastLiterals - 8;
            if (searchLimit > src + 1)
            {
                int[] table = t_table ??= new int[1 << HashLog];
                Array.Clear(table);
                fixed (int* ht = table)
                {
                    // Start at 1: the first instruction must be a literal run.
                    byte* ip = src + 1;
                    while (true)
                    {
                        byte* match;
                        int probes = 1 << SkipTrigger;
                        while (true)
                        {
                            if (ip > searchLimit) goto Done;
                            uint h = Hash4(ip);
                            match = src + ht[h];
                            ht[h] = (int)(ip - src);
                            if (match + MaxDistance >= ip && match < ip && Unsafe.ReadUnaligned<uint>(match) == Unsafe.ReadUnaligned<uint>(ip)) break;
                            ip += probes++ >> SkipTrigger; // step grows on data that does not compress
                        }
                        byte* lowest = anchor == src ? src + 1 : anchor;
                        while (ip > lowest && match > src && ip[-1] == match[-1])
                        {
                            ip--;
                            match--;
                        }
                        nuint length = MinMatch + LzCopy.CommonLength(ip + MinMatch, match + MinMatch, matchLimit);
                        op = WriteLiterals(op, oend, anchor, (nuint)(ip - anchor));
                        if (op == null) return 0;
                        op = WriteMatch(op, oend, (nuint)(ip - match), length);
                        if (op == null) return 0;
                        ip += length;
                        anchor = ip;
                        if (ip <= searchLimit) ht[Hash4(ip - 2)] = (int)(ip - 2 - src);
                    }
                }
            }
        Done:
            op = WriteLiterals(op, oend, anchor, (nuint)(iend - anchor));
            return op == null ? 0 : (int)(op - dst);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Hash4(byte* p) => (Unsafe.ReadUnaligned<uint>(p) * 2654435761u) >> (32 - HashLog);

    private static byte* WriteLiterals(byte* op, byte* oend, byte* literals, nuint count)
    {
        if ((nuint)(oend - op) < count + (count + MaxLiteralRun - 1) / MaxLiteralRun) return null;
        while (count > 0)
        {
            nuint run = Math.Min(count, (nuint)MaxLiteralRun);
            *op++ = (byte)(run - 1);
            Buffer.MemoryCopy(literals, op, run, run);
            op += run;
            literals += run;
            count -= run;
        }
        return op;
    }

    private static byte* WriteMatch(byte* op, byte* oend, nuint distance, nuint length)
    {
        nuint code = length - 2;
        nuint extension = code >= 7 ? code - 7 : 0;
        bool far = distance > MaxNearDistance;
        if ((nuint)(oend - op) < 2 + (code >= 7 ? extension / 255 + 1 : 0) + (far ? 2u : 0u)) return null;
        nuint lengthField = Math.Min(code, 7u) << 5;
        if (!far)
        {
            nuint d = distance - 1;
            *op++ = (byte)(lengthField | (d >> 8));
            op = WriteExtension(op, code, extension);
            *op++ = (byte)d;
        }
        else
        {
            nuint d = distance - 8192;
            *op++ = (byte)(lengthField | 31);
            op = WriteExtension(op, code, extension);
            *op++ = 255;
            *op++ = (byte)(d >> 8);
            *op++ = (byte)d;
        }
        return op;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte* WriteExtension(byte* op, nuint code, nuint extension)
    {
        if (code < 7) return op;
        for (; extension >= 255; extension -= 255) *op++ = 255;
        *op++ = (byte)extension;
        return op;
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using EmAlign.Diagnostics;

namespace EmAlign.Codecs;

/// <summary>
/// The raw LZ4 block format (no frame, no size prefix): used by numcodecs "lz4" (after its 4-byte
/// size), Blosc format 1 (lz4 and lz4hc), WKW blocks and N5 LZ4Block payloads.
/// A block is a series of sequences (token, literals, 16-bit LE offset, match length); the last
/// sequence has literals only. Decoding is bounds-checked against both spans.
/// </summary>
public static unsafe class Lz4Block
{
    private const int MinMatch = 4;
    private const int LastLiterals = 5;     // the last 5 bytes are always literals
    private const int MatchFindLimit = 12;  // the last match starts at least 12 bytes before the end
    private const int MaxDistance = 65535;
    private const int SkipTrigger = 6;      // failed probes before the search step grows (LZ4's heuristic)
    private const int FastHashLog = 12;
    private const int HcHashLog = 15;

    [ThreadStatic] private static int[]? t_fastTable;
    [ThreadStatic] private static int[]? t_hcHead;
    [ThreadStatic] private static ushort[]? t_hcChain;

    /// <summary>Largest input one block may hold (LZ4_MAX_INPUT_SIZE).</summary>
    public const int MaxInputLength = 0x7E000000;

    /// <summary>Largest possible encoded size of <paramref name="length"/> input bytes (at most <see cref="MaxInputLength"/>).</summary>
    public static int MaxEncodedLength(int length) => length is >= 0 and <= MaxInputLength
        ? length + length / 255 + 16
        : throw new ArgumentOutOfRangeException(nameof(length), length, $"An LZ4 block holds at most {MaxInputLength} bytes.");

    /// <summary>
    /// Decodes one block into <paramref name="destination"/> and returns the number of bytes produced.
    /// Never writes past <paramref name="destination"/>.
    /// </summary>
    /// <exception cref="CorruptDataException">The block is truncated, refers before the start of the
    /// output, or would produce more than destination.Length bytes.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Decode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.IsEmpty) throw new CorruptDataException("LZ4 block is empty: expected at least one token byte.");
        fixed (byte* srcStart = source)
        fixed (byte* dstStart = destination)
        {
            byte* ip = srcStart, iend = srcStart + source.Length;
            byte* op = dstStart, oend = dstStart + destination.Length;
            while (true)
            {
                uint token = *ip++;
                nuint literals = token >> 4;
                nuint distance, length;
                if (literals != 15 && iend - ip >= 32 && oend - op >= 64)
                {
                    // Short sequence with room on both sides: fixed-size copies, no end-of-block case
                    // (at least 16 input bytes follow the literals and offset).
                    Vector128.Load(ip).Store(op);
                    ip += literals;
                    op += literals;
                    distance = Unsafe.ReadUnaligned<ushort>(ip);
                    ip += 2;
                    length = token & 15;
                    if (length != 15 && distance >= 16 && distance <= (nuint)(op - dstStart))
                    {
                        byte* match = op - distance;
                        Vector128.Load(match).Store(op);
                        Vector128.Load(match + 16).Store(op + 16); // reads only bytes already written
                        op += length + MinMatch;
                        continue;
                    }
                }
                else
                {
                    if (literals == 15) literals += ReadLengthExtension(ref ip, iend);
                    if ((nuint)(iend - ip) < literals) throw Truncated(source.Length);
                    if ((nuint)(oend - op) < literals) throw TooLong(destination.Length);
                    if (literals <= 32 && iend - ip >= 32 && oend - op >= 32)
                    {
                        Vector128.Load(ip).Store(op);
                        Vector128.Load(ip + 16).Store(op + 16);
                    }
                    else
                    {
                        Buffer.MemoryCopy(ip, op, literals, literals);
                    }
                    ip += literals;
                    op += literals;
                    if (ip == iend) break; // the last sequence ends after its literals

                    if (iend - ip < 2) throw Truncated(source.Length);
                    distance = Unsafe.ReadUnaligned<ushort>(ip);
                    ip += 2;
                    length = token & 15;
                }
                if (length == 15) length += ReadLengthExtension(ref ip, iend);
                length += MinMatch;
                if (distance == 0 || distance > (nuint)(op - dstStart))
                    throw new CorruptDataException($"LZ4 block refers {distance} bytes back at output position {op - dstStart}: expected a distance of 1 to {op - dstStart}.");
                if ((nuint)(oend - op) < length) throw TooLong(destination.Length);
                LzCopy.Match(op, distance, length, oend);
                op += length;
                if (ip == iend) break; // lenient: a block may end right after a match; callers check the size
            }
            return (int)(op - dstStart);
        }
    }

    private static nuint ReadLengthExtension(ref byte* ip, byte* iend)
    {
        nuint sum = 0;
        uint b;
        do
        {
            if (ip >= iend) throw new CorruptDataException("LZ4 block is truncated inside a length field.");
            b = *ip++;
            sum += b;
        }
        while (b == 255);
        return sum;
    }

    private static CorruptDataException Truncated(int length) =>
        new($"LZ4 block of {length} bytes is truncated: a sequence runs past its end.");

    private static CorruptDataException TooLong(int capacity) =>
        new($"LZ4 block decodes to more than the expected {capacity} bytes.");

    /// <summary>
    /// Greedy, hash-table LZ4 compression (the reference "fast" strategy). Returns the encoded length,
    /// or 0 when the result would not fit in <paramref name="destination"/> (which is never overrun);
    /// a destination of <see cref="MaxEncodedLength"/> bytes always suffices.
    /// </summary>
    /// <param name="source">Bytes to compress.</param>
    /// <param name="destination">Receives the block.</param>
    /// <param name="acceleration">1 = best ratio; larger values probe fewer positions on data that does
    /// not compress (faster, larger output), as in LZ4_compress_fast.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Encode(ReadOnlySpan<byte> source, Span<byte> destination, int acceleration = 1)
    {
        acceleration = Math.Clamp(acceleration, 1, 65537);
        int n = source.Length;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            byte* op = dst, oend = dst + destination.Length;
            byte* anchor = src;
            byte* iend = src + n;
            if (n >= MatchFindLimit + 1)
            {
                int hashLog = Math.Min(FastHashLog, Math.Max(8, 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)n)));
                int shift = 32 - hashLog;
                int[] table = t_fastTable ??= new int[1 << FastHashLog];
                Array.Clear(table, 0, 1 << hashLog);
                fixed (int* ht = table)
                {
                    byte* mflimit = iend - MatchFindLimit;
                    byte* matchLimit = iend - LastLiterals;
                    byte* ip = src + 1;
                    uint forwardHash = Hash5(ip, shift);
                    while (true)
                    {
                        // Search forwards; the step grows after every 64 misses so incompressible data is skipped quickly.
                        byte* match;
                        byte* forward = ip;
                        int step = 1;
                        int probes = acceleration << SkipTrigger;
                        do
                        {
                            uint h = forwardHash;
                            ip = forward;
                            forward += step;
                            step = probes++ >> SkipTrigger;
                            if (forward > mflimit) goto LastLiterals;
                            match = src + ht[h];
                            forwardHash = Hash5(forward, shift);
                            ht[h] = (int)(ip - src);
                        }
                        while (match + MaxDistance < ip || Unsafe.ReadUnaligned<uint>(match) != Unsafe.ReadUnaligned<uint>(ip));

                        while (ip > anchor && match > src && ip[-1] == match[-1])
                        {
                            ip--;
                            match--;
                        }

                        while (true)
                        {
                            nuint length = MinMatch + LzCopy.CommonLength(ip + MinMatch, match + MinMatch, matchLimit);
                            op = WriteSequence(op, oend, anchor, ip, iend, (nuint)(ip - match), length);
                            if (op == null) return 0;
                            ip += length;
                            anchor = ip;
                            if (ip > mflimit) goto LastLiterals;

                            ht[Hash5(ip - 2, shift)] = (int)(ip - 2 - src);
                            // A match right at the next position is common in runs: take it without literals.
                            uint h = Hash5(ip, shift);
                            match = src + ht[h];
                            ht[h] = (int)(ip - src);
                            if (match + MaxDistance >= ip && Unsafe.ReadUnaligned<uint>(match) == Unsafe.ReadUnaligned<uint>(ip)) continue;
                            break;
                        }
                        ip++;
                        forwardHash = Hash5(ip, shift);
                    }
                }
            }
        LastLiterals:
            op = WriteLastLiterals(op, oend, anchor, (nuint)(iend - anchor));
            return op == null ? 0 : (int)(op - dst);
        }
    }

    /// <summary>
    /// LZ4 high-compression variant: hash chains searched up to 2^(level-1) candidates per position
    /// with one-step lazy matching (slower, smaller output, same block format and decode speed).
    /// Returns the encoded length or 0 when it would not fit in <paramref name="destination"/>.
    /// </summary>
    /// <param name="source">Bytes to compress.</param>
    /// <param name="destination">Receives the block.</param>
    /// <param name="level">1..12 (numbers beyond are clamped); 9 is the LZ4HC default.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int EncodeHC(ReadOnlySpan<byte> source, Span<byte> destination, int level = 9)
    {
        int attempts = 1 << (Math.Clamp(level, 1, 12) - 1);
        int n = source.Length;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            byte* op = dst, oend = dst + destination.Length;
            byte* anchor = src;
            byte* iend = src + n;
            if (n >= MatchFindLimit + 1)
            {
                int[] headArray = t_hcHead ??= new int[1 << HcHashLog];
                ushort[] chainArray = t_hcChain ??= new ushort[MaxDistance + 1];
                Array.Fill(headArray, -1);
                fixed (int* head = headArray)
                fixed (ushort* chain = chainArray)
                {
                    var finder = new HcFinder(src, head, chain, iend - LastLiterals, attempts);
                    byte* mflimit = iend - MatchFindLimit;
                    byte* ip = src;
                    while (ip <= mflimit)
                    {
                        nuint length = finder.Find(ip, out byte* match);
                        if (length < MinMatch)
                        {
                            ip++;
                            continue;
                        }
                        // Lazy evaluation: prefer a longer match starting one byte later.
                        while (ip + 1 <= mflimit)
                        {
                            nuint next = finder.Find(ip + 1, out byte* nextMatch);
                            if (next <= length) break;
                            ip++;
                            length = next;
                            match = nextMatch;
                        }
                        op = WriteSequence(op, oend, anchor, ip, iend, (nuint)(ip - match), length);
                        if (op == null) return 0;
                        ip += length;
                        anchor = ip;
                    }
                }
            }
            op = WriteLastLiterals(op, oend, anchor, (nuint)(iend - anchor));
            return op == null ? 0 : (int)(op - dst);
        }
    }

    /// <summary>Hash-chain match finder for <see cref="EncodeHC"/>: positions are inserted lazily up to the one searched.</summary>
    private struct HcFinder(byte* src, int* head, ushort* chain, byte* matchLimit, int attempts)
    {
        private int _nextToInsert;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public nuint Find(byte* ip, out byte* bestMatch)
        {
            int pos = (int)(ip - src);
            for (; _nextToInsert < pos; _nextToInsert++)
            {
                uint hi = Hash4(src + _nextToInsert, 32 - HcHashLog);
                int previous = head[hi];
                int delta = _nextToInsert - previous;
                chain[_nextToInsert & MaxDistance] = previous < 0 || delta > MaxDistance ? (ushort)0 : (ushort)delta;
                head[hi] = _nextToInsert;
            }
            bestMatch = null;
            nuint best = MinMatch - 1;
            uint head4 = Unsafe.ReadUnaligned<uint>(ip);
            nuint room = (nuint)(matchLimit - ip);
            int candidate = head[Hash4(ip, 32 - HcHashLog)];
            for (int left = attempts; candidate >= 0 && pos - candidate <= MaxDistance && left > 0; left--)
            {
                byte* c = src + candidate;
                if (best < room && c[best] == ip[best] && Unsafe.ReadUnaligned<uint>(c) == head4)
                {
                    nuint length = MinMatch + LzCopy.CommonLength(ip + MinMatch, c + MinMatch, matchLimit);
                    if (length > best)
                    {
                        best = length;
                        bestMatch = c;
                    }
                }
                int delta = chain[candidate & MaxDistance];
                if (delta == 0) break;
                candidate -= delta;
            }
            return bestMatch == null ? 0 : best;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Hash5(byte* p, int shift) => (uint)(((Unsafe.ReadUnaligned<ulong>(p) << 24) * 889523592379UL) >> (32 + shift));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Hash4(byte* p, int shift) => (Unsafe.ReadUnaligned<uint>(p) * 2654435761u) >> shift;

    /// <summary>Writes one sequence; returns the new output position, or null when it does not fit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte* WriteSequence(byte* op, byte* oend, byte* literals, byte* literalsEnd, byte* iend, nuint distance, nuint matchLength)
    {
        nuint literalCount = (nuint)(literalsEnd - literals);
        nuint ml = matchLength - MinMatch;
        nuint needed = 1 + literalCount + (literalCount + 240) / 255 + 2 + (ml + 240) / 255;
        if ((nuint)(oend - op) < needed) return null;
        byte* token = op++;
        op = WriteLength(op, literalCount, out uint literalNibble);
        if (literalCount <= 16 && iend - literals >= 16 && (nuint)(oend - op) >= 16)
            Vector128.Load(literals).Store(op); // the bytes past the literals are rewritten by what follows
        else
            Buffer.MemoryCopy(literals, op, literalCount, literalCount);
        op += literalCount;
        Unsafe.WriteUnaligned(op, (ushort)distance);
        op += 2;
        op = WriteLength(op, ml, out uint matchNibble);
        *token = (byte)((literalNibble << 4) | matchNibble);
        return op;
    }

    private static byte* WriteLastLiterals(byte* op, byte* oend, byte* literals, nuint count)
    {
        if ((nuint)(oend - op) < 1 + count + (count + 240) / 255) return null;
        byte* token = op++;
        op = WriteLength(op, count, out uint nibble);
        *token = (byte)(nibble << 4);
        Buffer.MemoryCopy(literals, op, count, count);
        return op + count;
    }

    /// <summary>Writes the 255-run extension of a length whose nibble saturates at 15.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte* WriteLength(byte* op, nuint length, out uint nibble)
    {
        if (length < 15)
        {
            nibble = (uint)length;
            return op;
        }
        nibble = 15;
        length -= 15;
        for (; length >= 255; length -= 255) *op++ = 255;
        *op++ = (byte)length;
        return op;
    }
}

using System.Buffers;
using EmAlign.Diagnostics;

namespace EmAlign.Codecs;

/// <summary>
/// bzip2 decoder: one or more concatenated streams ("BZh1".."BZh9", blocks, end-of-stream marker
/// with the combined CRC). Each block is Huffman (up to 6 tables, switched every 50 symbols),
/// then RUNA/RUNB zero runs and move-to-front, then the inverse Burrows-Wheeler transform, then
/// the initial run-length coding (4 equal bytes + a repeat count). Old "randomised" blocks are
/// undone with the format's fixed table. Every block CRC and the stream CRC are verified.
/// </summary>
internal sealed class Bzip2Decoder
{
    private const int MaxGroups = 6, MaxAlpha = 258, MaxCodeLength = 20, MaxSelectors = 18002;
    private const int FastBits = 10, GroupSize = 50;

    // Per-table canonical Huffman decoding: a 10-bit lookup (symbol << 5 | length, 0 = longer code),
    // then per length L: codes below Limit[L] are FirstCode[L] + k -> Perm[Offset[L] + k].
    private readonly ushort[] _fast = new ushort[MaxGroups << FastBits];
    private readonly int[] _limit = new int[MaxGroups * (MaxCodeLength + 1)];
    private readonly int[] _firstCode = new int[MaxGroups * (MaxCodeLength + 1)];
    private readonly int[] _offset = new int[MaxGroups * (MaxCodeLength + 1)];
    private readonly ushort[] _perm = new ushort[MaxGroups * MaxAlpha];
    private readonly int[] _maxLength = new int[MaxGroups];
    private readonly byte[] _selectors = new byte[MaxSelectors];

    public static int Decode(ReadOnlySpan<byte> source, Span<byte> destination) => new Bzip2Decoder().Run(source, destination);

    private int Run(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var br = new Bzip2BitReader(source);
        int outPos = 0;
        uint[]? tt = null;
        try
        {
            do
            {
                if (br.Read(8) != 'B' || br.Read(8) != 'Z' || br.Read(8) != 'h')
                    throw new CorruptDataException("bzip2 stream does not start with the signature 'BZh'.");
                int level = (int)br.Read(8) - '0';
                if (level is < 1 or > 9) throw new CorruptDataException($"bzip2 block size digit is {level}, expected 1 to 9.");
                uint combined = 0;
                while (true)
                {
                    ulong magic = ((ulong)br.Read(24) << 24) | br.Read(24);
                    if (magic == 0x177245385090UL)
                    {
                        uint stored = br.Read(32);
                        if (stored != combined)
                            throw new CorruptDataException($"bzip2 stream CRC mismatch: stored 0x{stored:X8}, computed 0x{combined:X8}.");
                        break;
                    }
                    if (magic != 0x314159265359UL)
                        throw new CorruptDataException($"bzip2 stream has 0x{magic:X12} where a block or end-of-stream marker was expected.");
                    // Block bytes before the final run-length decoding are at most 5/4 of the bytes
                    // they produce, so a block that would not fit the destination is refused early.
                    long left = destination.Length - outPos;
                    int limit = (int)Math.Min(level * 100000L, left + left / 4 + 8);
                    if (tt is null || tt.Length < limit)
                    {
                        if (tt is not null) ArrayPool<uint>.Shared.Return(tt);
                        tt = ArrayPool<uint>.Shared.Rent(Math.Max(limit, 1024));
                    }
                    uint crc = DecodeBlock(ref br, tt, limit, destination, ref outPos);
                    combined = ((combined << 1) | (combined >> 31)) ^ crc;
                }
                br.AlignToByte();
            }
            while (br.BytesLeft > 0);
        }
        finally
        {
            if (tt is not null) ArrayPool<uint>.Shared.Return(tt);
        }
        return outPos;
    }

    private uint DecodeBlock(ref Bzip2BitReader br, uint[] tt, int limit, Span<byte> dst, ref int outPos)
    {
        uint storedCrc = br.Read(32);
        bool randomised = br.ReadBit();
        int origPtr = (int)br.Read(24);

        Span<byte> mtf = stackalloc byte[256];
        int nInUse = 0;
        uint used16 = br.Read(16);
        for (int i = 0; i < 16; i++)
        {
            if ((used16 & (0x8000u >> i)) == 0) continue;
            uint used = br.Read(16);
            for (int j = 0; j < 16; j++)
                if ((used & (0x8000u >> j)) != 0) mtf[nInUse++] = (byte)(i * 16 + j);
        }
        if (nInUse == 0) throw new CorruptDataException("bzip2 block uses no byte values.");
        int alphaSize = nInUse + 2, eob = nInUse + 1;

        int nGroups = (int)br.Read(3);
        if (nGroups is < 2 or > MaxGroups) throw new CorruptDataException($"bzip2 block has {nGroups} Huffman tables, expected 2 to 6.");
        int nSelectors = (int)br.Read(15);
        if (nSelectors < 1) throw new CorruptDataException("bzip2 block has no Huffman table selectors.");
        Span<byte> groupMtf = stackalloc byte[MaxGroups];
        for (int i = 0; i < MaxGroups; i++) groupMtf[i] = (byte)i;
        for (int i = 0; i < nSelectors; i++)
        {
            int j = 0;
            while (br.ReadBit())
                if (++j >= nGroups) throw new CorruptDataException("bzip2 selector refers to a Huffman table that does not exist.");
            byte v = groupMtf[j];
            groupMtf[..j].CopyTo(groupMtf[1..]);
            groupMtf[0] = v;
            // Encoders may send more selectors than the format allows; the extra ones are never used.
            if (i < MaxSelectors) _selectors[i] = v;
        }
        nSelectors = Math.Min(nSelectors, MaxSelectors);

        Span<byte> lengths = stackalloc byte[MaxAlpha];
        for (int t = 0; t < nGroups; t++)
        {
            int curr = (int)br.Read(5);
            for (int i = 0; i < alphaSize; i++)
            {
                while (true)
                {
                    if (curr is < 1 or > MaxCodeLength) throw new CorruptDataException($"bzip2 Huffman code length {curr} is outside 1 to 20.");
                    if (!br.ReadBit()) break;
                    curr += br.ReadBit() ? -1 : 1;
                }
                lengths[i] = (byte)curr;
            }
            BuildTable(t, lengths[..alphaSize]);
        }

        // Huffman + RUNA/RUNB + move-to-front, into the low bytes of tt.
        Span<int> counts = stackalloc int[256];
        counts.Clear();
        int nblock = 0, run = 0, runShift = 0, selector = 0, groupLeft = 0, tOff = 0, maxLen = 0;
        var fast = _fast;
        while (true)
        {
            if (groupLeft == 0)
            {
                if (selector >= nSelectors) throw new CorruptDataException("bzip2 block has more symbol groups than selectors.");
                int t = _selectors[selector++];
                tOff = t;
                maxLen = _maxLength[t];
                groupLeft = GroupSize;
            }
            groupLeft--;
            if (br.Count < MaxCodeLength) br.Refill();
            int e = fast[(tOff << FastBits) + (int)(br.Bits >> (64 - FastBits))];
            int sym;
            if (e != 0)
            {
                sym = e >> 5;
                br.Skip(e & 31);
            }
            else sym = DecodeLong(ref br, tOff, maxLen);
            if (br.Count < 0) throw Bzip2BitReader.Truncated();

            if (sym <= 1)
            {
                run += (sym + 1) << runShift;
                runShift++;
                if (run > limit) throw TooLarge(dst.Length);
                continue;
            }
            if (run > 0)
            {
                if (run > limit - nblock) throw TooLarge(dst.Length);
                byte b = mtf[0];
                counts[b] += run;
                tt.AsSpan(nblock, run).Fill(b);
                nblock += run;
                run = 0;
                runShift = 0;
            }
            if (sym == eob) break;
            if (nblock >= limit) throw TooLarge(dst.Length);
            int idx = sym - 1;
            byte v = mtf[idx];
            if (idx < 16)
                for (int k = idx; k > 0; k--) mtf[k] = mtf[k - 1];
            else
                mtf[..idx].CopyTo(mtf[1..]);
            mtf[0] = v;
            counts[v]++;
            tt[nblock++] = v;
        }
        if (origPtr >= nblock)
            throw new CorruptDataException($"bzip2 block start pointer {origPtr} is outside the block of {nblock} bytes.");

        // Inverse BWT: the high 24 bits of tt[j] link row j to the row that follows it in the text.
        Span<int> start = stackalloc int[256];
        for (int i = 0, sum = 0; i < 256; i++)
        {
            start[i] = sum;
            sum += counts[i];
        }
        for (int i = 0; i < nblock; i++)
        {
            int b = (int)(tt[i] & 0xFF);
            tt[start[b]++] |= (uint)i << 8;
        }

        int blockStart = outPos;
        if (randomised) UndoRunLengthRandomised(tt, nblock, origPtr, dst, ref outPos);
        else UndoRunLength(tt, nblock, origPtr, dst, ref outPos);
        uint crc = Bzip2Crc.Compute(dst[blockStart..outPos]);
        if (crc != storedCrc)
            throw new CorruptDataException($"bzip2 block CRC mismatch: stored 0x{storedCrc:X8}, computed 0x{crc:X8}.");
        return crc;
    }

    private static void UndoRunLength(uint[] tt, int nblock, int origPtr, Span<byte> dst, ref int outPos)
    {
        uint tPos = tt[origPtr] >> 8;
        int pos = outPos, run = 0, last = -1;
        for (int i = 0; i < nblock; i++)
        {
            uint e = tt[tPos];
            tPos = e >> 8;
            int b = (int)(e & 0xFF);
            Emit(b, dst, ref pos, ref run, ref last);
        }
        outPos = pos;
    }

    private static void UndoRunLengthRandomised(uint[] tt, int nblock, int origPtr, Span<byte> dst, ref int outPos)
    {
        uint tPos = tt[origPtr] >> 8;
        int pos = outPos, run = 0, last = -1, toGo = 0, tableIndex = 0;
        for (int i = 0; i < nblock; i++)
        {
            uint e = tt[tPos];
            tPos = e >> 8;
            int b = (int)(e & 0xFF);
            if (toGo == 0)
            {
                toGo = Bzip2Randomisation.Table[tableIndex];
                tableIndex = (tableIndex + 1) & 511;
            }
            toGo--;
            if (toGo == 1) b ^= 1;
            Emit(b, dst, ref pos, ref run, ref last);
        }
        outPos = pos;
    }

    /// <summary>
    /// One step of the final run-length decoding: after four equal bytes, <paramref name="b"/> is a repeat count
    /// of the last byte; otherwise it is output and extends or starts a run.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Emit(int b, Span<byte> dst, ref int pos, ref int run, ref int last)
    {
        if (run == 4)
        {
            if (b > dst.Length - pos) throw TooLarge(dst.Length);
            dst.Slice(pos, b).Fill((byte)last);
            pos += b;
            run = 0;
            return;
        }
        if (b != last)
        {
            last = b;
            run = 1;
        }
        else run++;
        if ((uint)pos >= (uint)dst.Length) throw TooLarge(dst.Length);
        dst[pos++] = (byte)b;
    }

    private void BuildTable(int t, ReadOnlySpan<byte> lengths)
    {
        Span<int> count = stackalloc int[MaxCodeLength + 2];
        count.Clear();
        foreach (byte l in lengths) count[l]++;
        int baseIdx = t * (MaxCodeLength + 1);
        int code = 0, offset = 0, maxLen = 0;
        for (int len = 1; len <= MaxCodeLength; len++)
        {
            _firstCode[baseIdx + len] = code;
            _offset[baseIdx + len] = offset;
            _limit[baseIdx + len] = code + count[len];
            if (count[len] > 0) maxLen = len;
            if (code + count[len] > 1 << len) throw new CorruptDataException("bzip2 Huffman code lengths are over-subscribed.");
            offset += count[len];
            code = (code + count[len]) << 1;
        }
        _maxLength[t] = maxLen;

        // Symbols sorted by (length, value) give the canonical order.
        Span<int> next = stackalloc int[MaxCodeLength + 2];
        for (int len = 1; len <= MaxCodeLength; len++) next[len] = _offset[baseIdx + len];
        var fast = _fast.AsSpan(t << FastBits, 1 << FastBits);
        fast.Clear();
        int permBase = t * MaxAlpha;
        for (int s = 0; s < lengths.Length; s++)
        {
            int len = lengths[s];
            int rank = next[len]++;
            _perm[permBase + rank] = (ushort)s;
            if (len <= FastBits)
            {
                int c = _firstCode[baseIdx + len] + rank - _offset[baseIdx + len];
                int shift = FastBits - len;
                fast.Slice(c << shift, 1 << shift).Fill((ushort)((s << 5) | len));
            }
        }
    }

    private int DecodeLong(ref Bzip2BitReader br, int t, int maxLen)
    {
        int baseIdx = t * (MaxCodeLength + 1);
        for (int len = FastBits + 1; len <= maxLen; len++)
        {
            int code = (int)(br.Bits >> (64 - len));
            if (code < _limit[baseIdx + len])
            {
                br.Skip(len);
                return _perm[t * MaxAlpha + _offset[baseIdx + len] + code - _firstCode[baseIdx + len]];
            }
        }
        throw new CorruptDataException("bzip2 stream holds a bit pattern that is not a Huffman code of its table.");
    }

    private static CorruptDataException TooLarge(int capacity) =>
        new($"bzip2 stream decodes to more than the expected {capacity} bytes (or a block exceeds its declared block size).");
}

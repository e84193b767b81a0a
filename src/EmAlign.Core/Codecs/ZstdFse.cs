using System.Runtime.InteropServices;

namespace EmAlign.Codecs;

/// <summary>One decoding state of a sequence table: the code's baseline and extra bits plus the FSE transition.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ZstdSeqEntry
{
    /// <summary>Literal/match length baseline, or 1 &lt;&lt; code for offsets.</summary>
    public uint BaseValue;

    /// <summary>Base of the next state; the next state is this plus <see cref="StateBits"/> read bits.</summary>
    public ushort NextState;

    /// <summary>Extra bits added to <see cref="BaseValue"/>.</summary>
    public byte ExtraBits;

    /// <summary>Bits read to move to the next state.</summary>
    public byte StateBits;
}

/// <summary>FSE table descriptions (RFC 8878 §4.1.1): reading, writing and building decoding tables.</summary>
internal static unsafe class ZstdFse
{
    /// <summary>
    /// Reads a normalized distribution from <c>[ip, iend)</c> into <paramref name="norm"/> (length maxSymbol+1;
    /// symbols after the last coded one are zeroed). Returns the bytes used.
    /// </summary>
    public static int ReadCounts(byte* ip, byte* iend, Span<short> norm, int maxLog, out int tableLog)
    {
        long availBits = (iend - ip) * 8L;
        if (availBits < 8) throw ZstdFormat.Corrupt("truncated FSE table description");
        int maxSymbol = norm.Length - 1;
        int bitPos = 0;
        tableLog = (int)(PeekBits(ip, iend, 0) & 0xF) + 5;
        if (tableLog > maxLog) throw ZstdFormat.Corrupt($"FSE accuracy log {tableLog} exceeds {maxLog}");
        bitPos = 4;
        int remaining = (1 << tableLog) + 1, threshold = 1 << tableLog, nbBits = tableLog + 1, symbol = 0;
        bool previous0 = false;
        while (remaining > 1)
        {
            if (symbol > maxSymbol) throw ZstdFormat.Corrupt("FSE table description has too many symbols");
            if (previous0)
            {
                int n0 = symbol;
                while (true)
                {
                    uint r = PeekBits(ip, iend, bitPos) & 3;
                    bitPos += 2;
                    n0 += (int)r;
                    if (r != 3) break;
                    if (bitPos > availBits) throw ZstdFormat.Corrupt("truncated FSE table description");
                }
                if (n0 > maxSymbol) throw ZstdFormat.Corrupt("FSE table description has too many symbols");
                while (symbol < n0) norm[symbol++] = 0;
            }
            int max = (2 * threshold - 1) - remaining;
            uint bits = PeekBits(ip, iend, bitPos);
            int count;
            if ((bits & (uint)(threshold - 1)) < (uint)max)
            {
                count = (int)(bits & (uint)(threshold - 1));
                bitPos += nbBits - 1;
            }
            else
            {
                count = (int)(bits & (uint)(2 * threshold - 1));
                if (count >= threshold) count -= max;
                bitPos += nbBits;
            }
            count--;
            remaining -= count < 0 ? -count : count;
            norm[symbol++] = (short)count;
            previous0 = count == 0;
            while (remaining < threshold)
            {
                nbBits--;
                threshold >>= 1;
            }
            if (bitPos > availBits) throw ZstdFormat.Corrupt("truncated FSE table description");
        }
        if (remaining != 1) throw ZstdFormat.Corrupt("FSE probabilities do not add up");
        for (int s = symbol; s <= maxSymbol; s++) norm[s] = 0;
        return (bitPos + 7) >> 3;
    }

    /// <summary>Up to 32 bits starting at bit <paramref name="bitPos"/>, zeros past the end.</summary>
    private static uint PeekBits(byte* ip, byte* iend, int bitPos)
    {
        byte* p = ip + (bitPos >> 3);
        ulong v = 0;
        for (int i = 0; i < 5 && p + i < iend; i++) v |= (ulong)p[i] << (8 * i);
        return (uint)(v >> (bitPos & 7));
    }

    /// <summary>
    /// Writes a normalized distribution (symbols 0..norm.Length-1, the last non-zero) as an FSE table
    /// description; the inverse of <see cref="ReadCounts"/>. Returns the bytes written.
    /// </summary>
    public static int WriteCounts(Span<byte> dst, ReadOnlySpan<short> norm, int tableLog)
    {
        int lastSymbol = norm.Length - 1;
        while (lastSymbol > 0 && norm[lastSymbol] == 0) lastSymbol--;
        ulong acc = (ulong)(tableLog - 5);
        int accBits = 4, outPos = 0;
        int remaining = (1 << tableLog) + 1, threshold = 1 << tableLog, nbBits = tableLog + 1, symbol = 0;
        bool previous0 = false;
        while (remaining > 1)
        {
            if (previous0)
            {
                int start = symbol;
                while (norm[symbol] == 0) symbol++;
                int n0 = symbol - start;
                while (n0 >= 3)
                {
                    acc |= 3UL << accBits;
                    accBits += 2;
                    n0 -= 3;
                    Flush(dst, ref acc, ref accBits, ref outPos);
                }
                acc |= (ulong)n0 << accBits;
                accBits += 2;
            }
            int count = norm[symbol++];
            int max = (2 * threshold - 1) - remaining;
            remaining -= count < 0 ? -count : count;
            int value = count + 1;
            if (value >= threshold) value += max;
            acc |= (ulong)value << accBits;
            accBits += value < max ? nbBits - 1 : nbBits;
            previous0 = count == 0;
            while (remaining < threshold)
            {
                nbBits--;
                threshold >>= 1;
            }
            Flush(dst, ref acc, ref accBits, ref outPos);
        }
        while (accBits > 0)
        {
            dst[outPos++] = (byte)acc;
            acc >>= 8;
            accBits -= 8;
        }
        return outPos;
    }

    private static void Flush(Span<byte> dst, ref ulong acc, ref int accBits, ref int outPos)
    {
        while (accBits >= 8)
        {
            dst[outPos++] = (byte)acc;
            acc >>= 8;
            accBits -= 8;
        }
    }

    /// <summary>
    /// Builds a sequence decoding table from a distribution; <paramref name="baseValue"/>/<paramref name="extraBits"/>
    /// map each symbol to its code meaning (null for offsets: base 1 &lt;&lt; code, code extra bits).
    /// </summary>
    public static void BuildSeqTable(ZstdSeqEntry* table, ReadOnlySpan<short> norm, int tableLog,
        ReadOnlySpan<uint> baseValue, ReadOnlySpan<byte> extraBits)
    {
        int tableSize = 1 << tableLog;
        Span<byte> symbolAt = stackalloc byte[tableSize];
        if (!ZstdFormat.SpreadSymbols(norm, tableLog, symbolAt)) throw ZstdFormat.Corrupt("FSE distribution does not fill its table");
        Span<ushort> next = stackalloc ushort[norm.Length];
        for (int s = 0; s < norm.Length; s++) next[s] = (ushort)(norm[s] == -1 ? 1 : norm[s]);
        bool offsets = baseValue.IsEmpty;
        for (int u = 0; u < tableSize; u++)
        {
            int s = symbolAt[u];
            uint x = next[s]++;
            int nb = tableLog - ZstdFormat.HighBit(x);
            table[u] = new ZstdSeqEntry
            {
                BaseValue = offsets ? 1u << s : baseValue[s],
                ExtraBits = offsets ? (byte)s : extraBits[s],
                StateBits = (byte)nb,
                NextState = (ushort)((x << nb) - tableSize),
            };
        }
    }

    /// <summary>Builds a plain FSE decoding table (symbol, bits, next-state base) as used for Huffman weights.</summary>
    public static void BuildTable(ReadOnlySpan<short> norm, int tableLog, Span<byte> symbol, Span<byte> bits, Span<ushort> nextBase)
    {
        int tableSize = 1 << tableLog;
        if (!ZstdFormat.SpreadSymbols(norm, tableLog, symbol)) throw ZstdFormat.Corrupt("FSE distribution does not fill its table");
        Span<ushort> next = stackalloc ushort[norm.Length];
        for (int s = 0; s < norm.Length; s++) next[s] = (ushort)(norm[s] == -1 ? 1 : norm[s]);
        for (int u = 0; u < tableSize; u++)
        {
            uint x = next[symbol[u]]++;
            int nb = tableLog - ZstdFormat.HighBit(x);
            bits[u] = (byte)nb;
            nextBase[u] = (ushort)((x << nb) - tableSize);
        }
    }
}

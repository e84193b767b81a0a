using System.Runtime.CompilerServices;
using static EmAlign.Codecs.ZstdFormat;

namespace EmAlign.Codecs;

/// <summary>
/// Writes a forward bit stream that Zstandard decoders read backwards (<see cref="ZstdBitReader"/>): bits are
/// appended from the least significant end; <see cref="Close"/> adds the end marker. <see cref="Flush"/> stores
/// 8 bytes at a time, so the destination needs 8 bytes of slack; at most 56 bits may be added between flushes.
/// </summary>
internal unsafe struct ZstdBitWriter(byte* dst)
{
    private ulong _acc;
    private int _bits;
    private byte* _op = dst;
    private readonly byte* _start = dst;

    /// <summary>Appends the low <paramref name="n"/> bits of <paramref name="value"/> (higher bits must be zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(ulong value, int n)
    {
        _acc |= value << _bits;
        _bits += n;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Flush()
    {
        Unsafe.WriteUnaligned(_op, _acc);
        int bytes = _bits >> 3;
        _op += bytes;
        _acc >>= bytes * 8;
        _bits &= 7;
    }

    /// <summary>Adds the end marker and returns the stream's length in bytes.</summary>
    public int Close()
    {
        Add(1, 1);
        Flush();
        return (int)(_op - _start) + (_bits > 0 ? 1 : 0);
    }
}

/// <summary>An FSE encoding table (the encoder-side mirror of <see cref="ZstdFse.BuildSeqTable"/>).</summary>
internal sealed class ZstdFseEncodeTable
{
    public readonly ushort[] StateTable = new ushort[1 << LiteralLengthLogMax];
    public readonly uint[] DeltaNbBits = new uint[64];
    public readonly int[] DeltaFindState = new int[64];
    public int TableLog;

    /// <summary>Builds the table for a normalized distribution (sum 2^tableLog, -1 = "less than 1").</summary>
    public void Build(ReadOnlySpan<short> norm, int tableLog)
    {
        TableLog = tableLog;
        int tableSize = 1 << tableLog;
        Span<byte> symbolAt = stackalloc byte[tableSize];
        if (!SpreadSymbols(norm, tableLog, symbolAt)) throw new InvalidOperationException("zstd encoder built an invalid FSE distribution.");
        Span<int> cumul = stackalloc int[norm.Length + 1];
        for (int s = 0; s < norm.Length; s++) cumul[s + 1] = cumul[s] + (norm[s] == -1 ? 1 : norm[s]);
        for (int u = 0; u < tableSize; u++) StateTable[cumul[symbolAt[u]]++] = (ushort)(tableSize + u);
        int total = 0;
        for (int s = 0; s < norm.Length; s++)
        {
            int n = norm[s];
            if (n == 0)
            {
                DeltaNbBits[s] = (uint)(((tableLog + 1) << 16) - tableSize);
            }
            else if (n == -1 || n == 1)
            {
                DeltaNbBits[s] = (uint)((tableLog << 16) - tableSize);
                DeltaFindState[s] = total - 1;
                total++;
            }
            else
            {
                int maxBitsOut = tableLog - HighBit((uint)(n - 1));
                int minStatePlus = n << maxBitsOut;
                DeltaNbBits[s] = (uint)((maxBitsOut << 16) - minStatePlus);
                DeltaFindState[s] = total - n;
                total += n;
            }
        }
    }

    /// <summary>A starting state for the last symbol of a stream (no bits written).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Init(int symbol)
    {
        uint nbBitsOut = (DeltaNbBits[symbol] + (1 << 15)) >> 16;
        uint value = (nbBitsOut << 16) - DeltaNbBits[symbol];
        return StateTable[(int)(value >> (int)nbBitsOut) + DeltaFindState[symbol]];
    }

    /// <summary>Writes the bits that lead from <paramref name="state"/> back to a state of <paramref name="symbol"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Encode(ref ZstdBitWriter writer, ref uint state, int symbol)
    {
        int nbBitsOut = (int)((state + DeltaNbBits[symbol]) >> 16);
        writer.Add(state & ((1u << nbBitsOut) - 1), nbBitsOut);
        state = StateTable[(int)(state >> nbBitsOut) + DeltaFindState[symbol]];
    }

    /// <summary>Writes the final state (read first by the decoder).</summary>
    public void Finish(ref ZstdBitWriter writer, uint state) => writer.Add(state & ((1u << TableLog) - 1), TableLog);
}

/// <summary>Normalized distributions and their costs for the encoder.</summary>
internal static class ZstdDistribution
{
    /// <summary>Accuracy log for <paramref name="total"/> samples of symbols up to <paramref name="maxSymbol"/> (at least 5).</summary>
    public static int OptimalTableLog(int maxLog, int total, int maxSymbol)
    {
        int srcBits = HighBit((uint)Math.Max(total - 1, 1));
        int log = Math.Min(maxLog, srcBits - 2);
        int minBits = Math.Min(srcBits + 1, HighBit((uint)Math.Max(maxSymbol, 1)) + 2);
        if (minBits > log) log = minBits;
        return Math.Clamp(log, 5, maxLog);
    }

    /// <summary>
    /// Scales counts to sum 2^tableLog with every present symbol at least 1, then moves the rounding error
    /// to the symbols where it costs the fewest bits.
    /// </summary>
    public static void Normalize(ReadOnlySpan<int> count, int total, int tableLog, Span<short> norm)
    {
        int tableSize = 1 << tableLog, sum = 0;
        for (int s = 0; s < count.Length; s++)
        {
            int n = count[s] == 0 ? 0 : Math.Max(1, (int)Math.Round((double)count[s] * tableSize / total));
            norm[s] = (short)n;
            sum += n;
        }
        while (sum < tableSize)
        {
            int best = -1;
            double bestGain = -1;
            for (int s = 0; s < count.Length; s++)
            {
                if (count[s] == 0) continue;
                double gain = count[s] * Math.Log2((norm[s] + 1.0) / norm[s]);
                if (gain > bestGain) { bestGain = gain; best = s; }
            }
            norm[best]++;
            sum++;
        }
        while (sum > tableSize)
        {
            int best = -1;
            double bestLoss = double.MaxValue;
            for (int s = 0; s < count.Length; s++)
            {
                if (norm[s] <= 1) continue;
                double loss = count[s] * Math.Log2(norm[s] / (norm[s] - 1.0));
                if (loss < bestLoss) { bestLoss = loss; best = s; }
            }
            norm[best]--;
            sum--;
        }
    }

    /// <summary>Estimated bits to code the counted symbols with a distribution; +inf when a symbol cannot be coded.</summary>
    public static double Cost(ReadOnlySpan<int> count, ReadOnlySpan<short> norm, int tableLog)
    {
        double bits = 0;
        for (int s = 0; s < count.Length; s++)
        {
            if (count[s] == 0) continue;
            if (s >= norm.Length || norm[s] == 0) return double.PositiveInfinity;
            int n = norm[s] == -1 ? 1 : norm[s];
            bits += count[s] * (tableLog - Math.Log2(n));
        }
        return bits;
    }
}

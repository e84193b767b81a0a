using System.Runtime.CompilerServices;
using EmAlign.Diagnostics;
using static EmAlign.Codecs.ZstdFormat;

namespace EmAlign.Codecs;

/// <summary>Literals section writer (RFC 8878 §3.1.1.3.1): raw, RLE or Huffman-coded with 1 or 4 streams.</summary>
internal static unsafe class ZstdHuffmanEncoder
{
    /// <summary>
    /// Writes the literals section for <paramref name="n"/> literals at <paramref name="lit"/> into
    /// <paramref name="dst"/> (room for n + 64 bytes plus 8 bytes of slack). Returns the bytes written.
    /// </summary>
    public static int EncodeLiterals(byte* dst, byte* lit, int n)
    {
        if (n == 0)
        {
            dst[0] = 0;
            return 1;
        }
        Span<int> count = stackalloc int[256];
        Histogram(lit, n, count);
        int maxCount = 0, lastSymbol = 0;
        for (int s = 0; s < 256; s++)
        {
            if (count[s] > maxCount) maxCount = count[s];
            if (count[s] > 0) lastSymbol = s;
        }
        if (maxCount == n)
        {
            int h = WriteRawHeader(dst, n, 1);
            dst[h] = lit[0];
            return h + 1;
        }
        // Small or nearly uniform literals do not pay for a Huffman table.
        int minGain = (n >> 6) + 2;
        if (n < 64 || maxCount <= (n >> 7) + 4) return WriteRaw(dst, lit, n);

        Span<byte> length = stackalloc byte[256];
        int maxBits = BuildLengths(count, HuffmanEncodeLogMax, length);
        Span<byte> weight = stackalloc byte[256];
        Span<uint> code = stackalloc uint[256];
        AssignCodes(length, maxBits, weight, code);

        long bits = 0;
        for (int s = 0; s < 256; s++) bits += (long)count[s] * length[s];
        bool single = n < 256;
        byte* payload = dst + 5;
        int treeSize = WriteTree(weight, lastSymbol, payload);
        if (treeSize < 0 || treeSize + (bits >> 3) + (single ? 1 : 10) >= n - minGain) return WriteRaw(dst, lit, n);

        byte* p = payload + treeSize;
        if (single)
        {
            p += WriteStream(p, lit, n, code);
        }
        else
        {
            byte* jump = p;
            p += 6;
            int segment = (n + 3) >> 2;
            for (int k = 0; k < 4; k++)
            {
                int size = WriteStream(p, lit + k * segment, k < 3 ? segment : n - 3 * segment, code);
                if (k < 3)
                {
                    jump[2 * k] = (byte)size;
                    jump[2 * k + 1] = (byte)(size >> 8);
                }
                p += size;
            }
        }
        int compressed = (int)(p - payload);
        if (compressed >= n - minGain) return WriteRaw(dst, lit, n);

        int larger = Math.Max(n, compressed);
        int sizeFormat = single ? 0 : larger <= 1023 ? 1 : larger <= 16383 ? 2 : 3;
        int sizeBits = sizeFormat < 2 ? 10 : sizeFormat == 2 ? 14 : 18;
        int header = sizeFormat < 2 ? 3 : sizeFormat == 2 ? 4 : 5;
        ulong h64 = 2UL | (ulong)sizeFormat << 2 | (ulong)n << 4 | (ulong)compressed << (4 + sizeBits);
        if (header < 5) Buffer.MemoryCopy(payload, dst + header, compressed, compressed);
        for (int i = 0; i < header; i++) dst[i] = (byte)(h64 >> (8 * i));
        return header + compressed;
    }

    /// <summary>Byte counts, with four partial tables so that runs of one value do not serialize on one counter.</summary>
    private static void Histogram(byte* p, int n, Span<int> count)
    {
        int* c = stackalloc int[4 * 256];
        new Span<int>(c, 4 * 256).Clear();
        int i = 0;
        for (; i + 4 <= n; i += 4)
        {
            uint v = Unsafe.ReadUnaligned<uint>(p + i);
            c[v & 0xFF]++;
            c[256 + ((v >> 8) & 0xFF)]++;
            c[512 + ((v >> 16) & 0xFF)]++;
            c[768 + (v >> 24)]++;
        }
        for (; i < n; i++) c[p[i]]++;
        for (int s = 0; s < 256; s++) count[s] = c[s] + c[256 + s] + c[512 + s] + c[768 + s];
    }

    private static int WriteRaw(byte* dst, byte* lit, int n)
    {
        int h = WriteRawHeader(dst, n, 0);
        Buffer.MemoryCopy(lit, dst + h, n, n);
        return h + n;
    }

    /// <summary>Header of raw (type 0) or RLE (type 1) literals: 1, 2 or 3 bytes depending on the count.</summary>
    private static int WriteRawHeader(byte* dst, int n, int type)
    {
        if (n <= 31)
        {
            dst[0] = (byte)(type | n << 3);
            return 1;
        }
        if (n <= 4095)
        {
            int v = type | 1 << 2 | n << 4;
            dst[0] = (byte)v;
            dst[1] = (byte)(v >> 8);
            return 2;
        }
        int w = type | 3 << 2 | n << 4;
        dst[0] = (byte)w;
        dst[1] = (byte)(w >> 8);
        dst[2] = (byte)(w >> 16);
        return 3;
    }

    /// <summary>
    /// Optimal code lengths of at most <paramref name="limit"/> bits (package-merge); needs 2+ symbols.
    /// Returns the longest length. The code is complete (Kraft sum exactly 1), as the format's implied last weight requires.
    /// </summary>
    internal static int BuildLengths(ReadOnlySpan<int> count, int limit, Span<byte> length)
    {
        Span<int> leaves = stackalloc int[256];
        int n = 0;
        for (int s = 0; s < count.Length; s++)
        {
            length[s] = 0;
            if (count[s] > 0) leaves[n++] = s;
        }
        leaves = leaves[..n];
        // Sort present symbols by count (ties by symbol) - insertion sort, at most 256 entries.
        for (int i = 1; i < n; i++)
        {
            int v = leaves[i], j = i - 1;
            while (j >= 0 && (count[leaves[j]] > count[v] || (count[leaves[j]] == count[v] && leaves[j] > v)))
            {
                leaves[j + 1] = leaves[j];
                j--;
            }
            leaves[j + 1] = v;
        }
        // Package-merge, deepest level first: each level's list is the leaves merged (by weight) with packages
        // of adjacent pairs of the level below. Items are leaf indexes, or -1 for a package.
        int width = 2 * n;
        Span<int> items = stackalloc int[limit * width];
        Span<int> listLength = stackalloc int[limit];
        Span<long> below = stackalloc long[width], here = stackalloc long[width];
        for (int i = 0; i < n; i++)
        {
            items[(limit - 1) * width + i] = i;
            below[i] = count[leaves[i]];
        }
        listLength[limit - 1] = n;
        for (int level = limit - 2; level >= 0; level--)
        {
            int packages = listLength[level + 1] / 2, li = 0, pi = 0, m = 0;
            Span<int> list = items.Slice(level * width, width);
            while (li < n || pi < packages)
            {
                long packageWeight = pi < packages ? below[2 * pi] + below[2 * pi + 1] : long.MaxValue;
                if (li < n && count[leaves[li]] <= packageWeight)
                {
                    here[m] = count[leaves[li]];
                    list[m++] = li++;
                }
                else
                {
                    here[m] = packageWeight;
                    list[m++] = -1;
                    pi++;
                }
            }
            listLength[level] = m;
            here[..m].CopyTo(below);
        }
        // The cheapest 2n - 2 items of the top list are chosen; the packages among them select the first items of
        // the list below, and so on. Each time a leaf is selected its code gets one bit longer.
        int take = 2 * n - 2;
        for (int level = 0; level < limit && take > 0; level++)
        {
            int chosenPackages = 0;
            Span<int> list = items.Slice(level * width, width);
            for (int i = 0; i < take; i++)
            {
                if (list[i] >= 0) length[leaves[list[i]]]++;
                else chosenPackages++;
            }
            take = 2 * chosenPackages;
        }
        int maxBits = 0;
        for (int s = 0; s < count.Length; s++) maxBits = Math.Max(maxBits, length[s]);
        return maxBits;
    }

    /// <summary>
    /// Weights (maxBits + 1 - length) and canonical codes in the order the decoder fills its table: by weight,
    /// then by symbol. Each code entry is code | length &lt;&lt; 16.
    /// </summary>
    private static void AssignCodes(ReadOnlySpan<byte> length, int maxBits, Span<byte> weight, Span<uint> code)
    {
        Span<int> start = stackalloc int[HuffmanLogMax + 2];
        for (int s = 0; s < 256; s++)
        {
            weight[s] = (byte)(length[s] == 0 ? 0 : maxBits + 1 - length[s]);
            if (weight[s] > 0) start[weight[s]] += 1 << (weight[s] - 1);
        }
        int next = 0;
        for (int w = 1; w <= maxBits; w++)
        {
            int c = start[w];
            start[w] = next;
            next += c;
        }
        for (int s = 0; s < 256; s++)
        {
            int w = weight[s];
            if (w == 0)
            {
                code[s] = 0;
                continue;
            }
            code[s] = (uint)(start[w] >> (w - 1)) | (uint)length[s] << 16;
            start[w] += 1 << (w - 1);
        }
    }

    /// <summary>One Huffman stream, symbols written last-first so the decoder reads them in order.</summary>
    private static int WriteStream(byte* dst, byte* src, int n, ReadOnlySpan<uint> code)
    {
        var w = new ZstdBitWriter(dst);
        int i = n;
        fixed (uint* table = code)
        {
            // Four symbols of at most 11 bits between flushes.
            while (i >= 4)
            {
                uint e0 = table[src[i - 1]], e1 = table[src[i - 2]], e2 = table[src[i - 3]], e3 = table[src[i - 4]];
                w.Add(e0 & 0xFFFF, (int)(e0 >> 16));
                w.Add(e1 & 0xFFFF, (int)(e1 >> 16));
                w.Add(e2 & 0xFFFF, (int)(e2 >> 16));
                w.Add(e3 & 0xFFFF, (int)(e3 >> 16));
                w.Flush();
                i -= 4;
            }
            while (i > 0)
            {
                uint e = table[src[--i]];
                w.Add(e & 0xFFFF, (int)(e >> 16));
            }
        }
        return w.Close();
    }

    /// <summary>
    /// Huffman tree description: weights of symbols 0..lastSymbol-1 (the last one is implied), FSE-compressed
    /// or as 4-bit nibbles, whichever is smaller. Returns -1 when neither form can hold them.
    /// </summary>
    private static int WriteTree(ReadOnlySpan<byte> weight, int lastSymbol, byte* dst)
    {
        int nw = lastSymbol;
        int direct = nw <= 128 ? 1 + ((nw + 1) >> 1) : int.MaxValue;
        Span<byte> fse = stackalloc byte[160];
        int compressed = CompressWeights(weight[..nw], fse);
        if (compressed > 0 && 1 + compressed < direct)
        {
            dst[0] = (byte)compressed;
            fse[..compressed].CopyTo(new Span<byte>(dst + 1, compressed));
            return 1 + compressed;
        }
        if (direct == int.MaxValue) return -1;
        dst[0] = (byte)(127 + nw);
        for (int i = 0; i < nw; i += 2)
            dst[1 + (i >> 1)] = (byte)(weight[i] << 4 | (i + 1 < nw ? weight[i + 1] : 0));
        return direct;
    }

    /// <summary>FSE-compresses Huffman weights with two interleaved states; 0 when that is impossible or fails to round-trip.</summary>
    private static int CompressWeights(ReadOnlySpan<byte> weights, Span<byte> dst)
    {
        int nw = weights.Length;
        if (nw < 2) return 0;
        Span<int> count = stackalloc int[HuffmanLogMax + 1];
        int maxWeight = 0;
        foreach (byte w in weights)
        {
            count[w]++;
            maxWeight = Math.Max(maxWeight, w);
        }
        foreach (int c in count)
            if (c == nw) return 0;
        int tableLog = ZstdDistribution.OptimalTableLog(WeightLogMax, nw, maxWeight);
        Span<short> norm = stackalloc short[maxWeight + 1];
        ZstdDistribution.Normalize(count[..(maxWeight + 1)], nw, tableLog, norm);
        var table = new ZstdFseEncodeTable();
        table.Build(norm, tableLog);
        Span<byte> buffer = stackalloc byte[256 + 16];
        int header = ZstdFse.WriteCounts(buffer, norm, tableLog);
        int size;
        fixed (byte* b = buffer)
        {
            var w = new ZstdBitWriter(b + header);
            int ip = nw;
            uint s1, s2;
            if ((nw & 1) != 0)
            {
                s1 = table.Init(weights[--ip]);
                s2 = table.Init(weights[--ip]);
                table.Encode(ref w, ref s1, weights[--ip]);
                w.Flush();
            }
            else
            {
                s2 = table.Init(weights[--ip]);
                s1 = table.Init(weights[--ip]);
            }
            while (ip > 0)
            {
                table.Encode(ref w, ref s2, weights[--ip]);
                table.Encode(ref w, ref s1, weights[--ip]);
                w.Flush();
            }
            table.Finish(ref w, s2);
            table.Finish(ref w, s1);
            size = header + w.Close();
            if (size >= 128 || size > dst.Length) return 0;
            // The decoder stops when a state update runs out of bits; with skewed weights the last update can
            // need none, so check that the stream decodes back to exactly these weights.
            Span<byte> check = stackalloc byte[256];
            try
            {
                if (ZstdDecoder.DecodeWeights(b, size, check) != nw || !check[..nw].SequenceEqual(weights)) return 0;
            }
            catch (CorruptDataException)
            {
                return 0;
            }
        }
        buffer[..size].CopyTo(dst);
        return size;
    }
}

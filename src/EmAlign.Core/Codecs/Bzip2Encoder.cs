using System.Buffers;

namespace EmAlign.Codecs;

/// <summary>
/// bzip2 encoder: splits the input into blocks of at most level x 100 000 bytes after the initial
/// run-length coding, sorts each block's rotations (<see cref="Bzip2SuffixSort"/>), codes the last
/// column with move-to-front and RUNA/RUNB zero runs, and Huffman codes that with 2 to 6 tables
/// chosen per 50-symbol group by four rounds of refinement. Blocks are independent, so several are
/// encoded in parallel and their bit streams joined in order.
/// </summary>
internal static class Bzip2Encoder
{
    private const int GroupSize = 50, MaxEncodeLength = 17, RefineRounds = 4;

    /// <summary>Encodes <paramref name="source"/> as one stream; randomise writes old-style randomised blocks (tests use it to exercise the decoder).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> source, int level, bool randomise = false)
    {
        int maxBlock = level * 100000 - 19;
        var ranges = new List<(int Start, int Length)>();
        for (int pos = 0; pos < source.Length;)
        {
            int consumed = RunLengthEncode(source[pos..], null, maxBlock, out _);
            ranges.Add((pos, consumed));
            pos += consumed;
        }

        var blocks = new Bzip2BitWriter[ranges.Count];
        var crcs = new uint[ranges.Count];
        unsafe
        {
            fixed (byte* p = source)
            {
                byte* basePtr = p;
                int length = source.Length;
                Parallel.For(0, ranges.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, b =>
                {
                    var input = new ReadOnlySpan<byte>(basePtr, length).Slice(ranges[b].Start, ranges[b].Length);
                    crcs[b] = Bzip2Crc.Compute(input);
                    blocks[b] = EncodeBlock(input, maxBlock, crcs[b], randomise);
                });
            }
        }

        long bits = 64 + 80;
        foreach (var b in blocks) bits += b.BitLength;
        var w = new Bzip2BitWriter((int)Math.Min(int.MaxValue - 64, bits / 8 + 8));
        w.Write(24, 0x425A68); // "BZh"
        w.Write(8, (uint)('0' + level));
        uint combined = 0;
        for (int b = 0; b < blocks.Length; b++)
        {
            w.Append(blocks[b]);
            combined = ((combined << 1) | (combined >> 31)) ^ crcs[b];
        }
        w.Write(24, 0x177245);
        w.Write(24, 0x385090);
        w.Write(32, combined);
        return w.ToArray();
    }

    /// <summary>
    /// Initial run-length coding: runs of 4 to 255 equal bytes become the 4 bytes plus a count.
    /// Returns how many input bytes fit a block of <paramref name="maxBlock"/> coded bytes, writing
    /// them to <paramref name="output"/> unless it is null (then only the block boundary is found).
    /// </summary>
    private static int RunLengthEncode(ReadOnlySpan<byte> input, byte[]? output, int maxBlock, out int written)
    {
        int i = 0, n = 0;
        while (i < input.Length)
        {
            byte b = input[i];
            int limit = Math.Min(255, input.Length - i), r = 1;
            while (r < limit && input[i + r] == b) r++;
            int need = r < 4 ? r : 5;
            if (n + need > maxBlock) break;
            if (output is not null)
            {
                if (r < 4) output.AsSpan(n, r).Fill(b);
                else
                {
                    output.AsSpan(n, 4).Fill(b);
                    output[n + 4] = (byte)(r - 4);
                }
            }
            n += need;
            i += r;
        }
        written = n;
        return i;
    }

    private static Bzip2BitWriter EncodeBlock(ReadOnlySpan<byte> input, int maxBlock, uint crc, bool randomise)
    {
        // The initial run-length coding grows data by at most 5/4 (a run of 4 gains a zero count).
        int capacity = (int)Math.Min(maxBlock, input.Length + input.Length / 4L + 8);
        byte[] block = ArrayPool<byte>.Shared.Rent(capacity);
        int[] order = ArrayPool<int>.Shared.Rent(capacity);
        ushort[] symbols = ArrayPool<ushort>.Shared.Rent(capacity + 1);
        try
        {
            RunLengthEncode(input, block, maxBlock, out int n);
            if (randomise) Randomise(block.AsSpan(0, n));
            var data = block.AsSpan(0, n);

            Span<bool> inUse = stackalloc bool[256];
            inUse.Clear();
            foreach (byte b in data) inUse[b] = true;
            Span<byte> seqOf = stackalloc byte[256];
            int nInUse = 0;
            for (int v = 0; v < 256; v++)
                if (inUse[v]) seqOf[v] = (byte)nInUse++;

            Bzip2SuffixSort.SortRotations(data, order.AsSpan(0, n));
            int origPtr = 0;

            // Move-to-front over the last column with zero runs as RUNA/RUNB digits (bijective base 2).
            int alphaSize = nInUse + 2;
            Span<int> freq = stackalloc int[258];
            freq.Clear();
            Span<byte> mtf = stackalloc byte[256];
            for (int k = 0; k < nInUse; k++) mtf[k] = (byte)k;
            int nSym = 0, zeros = 0;
            for (int row = 0; row < n; row++)
            {
                int start = order[row];
                if (start == 0) origPtr = row;
                byte ll = seqOf[data[start == 0 ? n - 1 : start - 1]];
                if (mtf[0] == ll)
                {
                    zeros++;
                    continue;
                }
                if (zeros > 0)
                {
                    nSym = EmitZeroRun(symbols, nSym, zeros, freq);
                    zeros = 0;
                }
                // Search and shift in one pass: most indices are small.
                byte carry = mtf[0];
                mtf[0] = ll;
                int j = 1;
                for (byte next = mtf[1]; next != ll; next = mtf[++j])
                {
                    mtf[j] = carry;
                    carry = next;
                }
                mtf[j] = carry;
                symbols[nSym++] = (ushort)(j + 1);
                freq[j + 1]++;
            }
            if (zeros > 0) nSym = EmitZeroRun(symbols, nSym, zeros, freq);
            symbols[nSym++] = (ushort)(nInUse + 1);
            freq[nInUse + 1]++;

            var w = new Bzip2BitWriter(n / 2 + 1024);
            w.Write(24, 0x314159);
            w.Write(24, 0x265359);
            w.Write(32, crc);
            w.Write(1, randomise ? 1u : 0u);
            w.Write(24, (uint)origPtr);
            uint used16 = 0;
            for (int i = 0; i < 16; i++)
                if (inUse.Slice(i * 16, 16).Contains(true)) used16 |= 0x8000u >> i;
            w.Write(16, used16);
            for (int i = 0; i < 16; i++)
            {
                if ((used16 & (0x8000u >> i)) == 0) continue;
                uint bits = 0;
                for (int j = 0; j < 16; j++)
                    if (inUse[i * 16 + j]) bits |= 0x8000u >> j;
                w.Write(16, bits);
            }
            WriteHuffmanCoded(w, symbols.AsSpan(0, nSym), freq[..alphaSize]);
            return w;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
            ArrayPool<int>.Shared.Return(order);
            ArrayPool<ushort>.Shared.Return(symbols);
        }
    }

    private static int EmitZeroRun(ushort[] symbols, int nSym, int run, Span<int> freq)
    {
        run--;
        while (true)
        {
            int s = run & 1; // RUNA = 0 is digit 1, RUNB = 1 is digit 2
            symbols[nSym++] = (ushort)s;
            freq[s]++;
            if (run < 2) return nSym;
            run = (run - 2) >> 1;
        }
    }

    private static void Randomise(Span<byte> block)
    {
        int toGo = 0, index = 0;
        for (int i = 0; i < block.Length; i++)
        {
            if (toGo == 0)
            {
                toGo = Bzip2Randomisation.Table[index];
                index = (index + 1) & 511;
            }
            toGo--;
            if (toGo == 1) block[i] ^= 1;
        }
    }

    /// <summary>Chooses the tables and selectors, then writes selectors, code lengths and the symbols.</summary>
    private static void WriteHuffmanCoded(Bzip2BitWriter w, ReadOnlySpan<ushort> symbols, ReadOnlySpan<int> freq)
    {
        int alphaSize = freq.Length, nSym = symbols.Length;
        int nGroups = nSym < 200 ? 2 : nSym < 600 ? 3 : nSym < 1200 ? 4 : nSym < 2400 ? 5 : 6;
        int nSelectors = (nSym + GroupSize - 1) / GroupSize;
        const int A = 258; // row stride of the per-table arrays
        var lengths = new byte[nGroups * A];

        // Start from tables that each cover a slice of the alphabet with about equal total frequency.
        int remaining = nSym, gs = 0;
        for (int part = nGroups; part > 0; part--)
        {
            int target = remaining / part, ge = gs - 1, acc = 0;
            while (acc < target && ge < alphaSize - 1) acc += freq[++ge];
            for (int v = 0; v < alphaSize; v++) lengths[(part - 1) * A + v] = (byte)(v >= gs && v <= ge ? 0 : 15);
            gs = ge + 1;
            remaining -= acc;
        }

        var selectors = new byte[nSelectors];
        var counts = new int[nGroups * A];
        // Group costs for all tables at once: 16-bit lanes, tables 0-3 in one word and 4-5 in another
        // (a group of 50 codes of at most 17 bits cannot overflow a lane).
        Span<ulong> packLow = stackalloc ulong[A];
        Span<ulong> packHigh = stackalloc ulong[A];
        Span<int> cost = stackalloc int[6];
        for (int round = 0; round < RefineRounds; round++)
        {
            for (int v = 0; v < alphaSize; v++)
            {
                ulong lo = 0, hi = 0;
                for (int t = 0; t < nGroups; t++)
                {
                    ulong len = lengths[t * A + v];
                    if (t < 4) lo |= len << (16 * t);
                    else hi |= len << (16 * (t - 4));
                }
                packLow[v] = lo;
                packHigh[v] = hi;
            }
            Array.Clear(counts);
            for (int g = 0; g < nSelectors; g++)
            {
                var group = symbols.Slice(g * GroupSize, Math.Min(GroupSize, nSym - g * GroupSize));
                ulong lo = 0, hi = 0;
                foreach (ushort sym in group)
                {
                    lo += packLow[sym];
                    hi += packHigh[sym];
                }
                for (int t = 0; t < nGroups; t++) cost[t] = (int)(((t < 4 ? lo : hi) >> (16 * (t & 3))) & 0xFFFF);
                int best = 0;
                for (int t = 1; t < nGroups; t++)
                    if (cost[t] < cost[best]) best = t;
                selectors[g] = (byte)best;
                var row = counts.AsSpan(best * A, A);
                foreach (ushort sym in group) row[sym]++;
            }
            for (int t = 0; t < nGroups; t++) BuildLengths(counts.AsSpan(t * A, alphaSize), lengths.AsSpan(t * A, alphaSize));
        }

        var codes = new uint[nGroups * A];
        for (int t = 0; t < nGroups; t++)
        {
            uint code = 0;
            for (int len = 1; len <= MaxEncodeLength; len++)
            {
                for (int v = 0; v < alphaSize; v++)
                    if (lengths[t * A + v] == len) codes[t * A + v] = code++;
                code <<= 1;
            }
        }

        w.Write(3, (uint)nGroups);
        w.Write(15, (uint)nSelectors);
        Span<byte> order = stackalloc byte[6];
        for (int t = 0; t < 6; t++) order[t] = (byte)t;
        foreach (byte sel in selectors)
        {
            int j = order.IndexOf(sel);
            order[..j].CopyTo(order[1..]);
            order[0] = sel;
            for (int k = 0; k < j; k++) w.Write(1, 1);
            w.Write(1, 0);
        }
        for (int t = 0; t < nGroups; t++)
        {
            int curr = lengths[t * A];
            w.Write(5, (uint)curr);
            for (int v = 0; v < alphaSize; v++)
            {
                int len = lengths[t * A + v];
                for (; curr < len; curr++) w.Write(2, 2);
                for (; curr > len; curr--) w.Write(2, 3);
                w.Write(1, 0);
            }
        }
        for (int g = 0; g < nSelectors; g++)
        {
            var len = lengths.AsSpan(selectors[g] * A, A);
            var code = codes.AsSpan(selectors[g] * A, A);
            foreach (ushort sym in symbols.Slice(g * GroupSize, Math.Min(GroupSize, nSym - g * GroupSize)))
                w.Write(len[sym], code[sym]);
        }
    }

    /// <summary>
    /// Huffman code lengths from a table's symbol counts, at most 17 bits.
    /// Every symbol gets a code (the format cannot express an absent one); when the tree is too deep
    /// the weights are flattened and the tree rebuilt.
    /// </summary>
    private static void BuildLengths(ReadOnlySpan<int> counts, Span<byte> lengths)
    {
        int alphaSize = counts.Length;
        Span<long> weight = stackalloc long[2 * 258];
        Span<int> parent = stackalloc int[2 * 258];
        Span<long> leaves = stackalloc long[258];
        Span<int> depth = stackalloc int[2 * 258];
        for (int v = 0; v < alphaSize; v++) weight[v] = Math.Max(counts[v], 1);
        while (true)
        {
            for (int v = 0; v < alphaSize; v++) leaves[v] = (weight[v] << 9) | (uint)v;
            leaves[..alphaSize].Sort();

            // Two queues: sorted leaves and internal nodes, which are created in non-decreasing weight.
            int leafPos = 0, nodeNext = alphaSize, nodePos = alphaSize;
            for (int k = 0; k < alphaSize - 1; k++)
            {
                int a = Smallest(leaves, alphaSize, ref leafPos, weight, ref nodePos, nodeNext);
                int b = Smallest(leaves, alphaSize, ref leafPos, weight, ref nodePos, nodeNext);
                weight[nodeNext] = weight[a] + weight[b];
                parent[a] = parent[b] = nodeNext;
                nodeNext++;
            }
            int root = nodeNext - 1, maxDepth = 0;
            depth[root] = 0;
            for (int id = root - 1; id >= 0; id--)
            {
                depth[id] = depth[parent[id]] + 1;
                if (id < alphaSize) maxDepth = Math.Max(maxDepth, depth[id]);
            }
            if (maxDepth <= MaxEncodeLength)
            {
                for (int v = 0; v < alphaSize; v++) lengths[v] = (byte)depth[v];
                return;
            }
            for (int v = 0; v < alphaSize; v++) weight[v] = weight[v] / 2 + 1;
        }
    }

    private static int Smallest(ReadOnlySpan<long> leaves, int nLeaves, ref int leafPos, ReadOnlySpan<long> weight, ref int nodePos, int nodeNext)
    {
        if (leafPos < nLeaves && (nodePos >= nodeNext || weight[(int)(leaves[leafPos] & 511)] <= weight[nodePos]))
            return (int)(leaves[leafPos++] & 511);
        return nodePos++;
    }
}

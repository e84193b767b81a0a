using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using static EmAlign.Codecs.ZstdFormat;

namespace EmAlign.Codecs;

/// <summary>
/// Zstandard frame encoder. Finds matches with one hash table (level 1), a long and a short hash table
/// (levels 2-4) or hash chains searched greedily (5) or lazily (6+), then codes literals with Huffman and
/// sequences with predefined, RLE or computed FSE tables. One frame, content size always declared;
/// per-thread instance reuses its tables.
/// </summary>
internal sealed unsafe class ZstdEncoder
{
    [ThreadStatic] private static ZstdEncoder? t_instance;

    public static ZstdEncoder ForThread => t_instance ??= new ZstdEncoder();

    private enum Strategy { Fast, DoubleFast, Greedy, Lazy, Lazy2 }

    /// <summary>
    /// Search parameters of one level: window, hash table size, chain size (short table for DoubleFast),
    /// chain depth, minimum match and the length that ends a search early.
    /// </summary>
    private readonly record struct Params(Strategy Strategy, int WindowLog, int HashLog, int ChainLog, int Depth, int MinMatch, int TargetLength);

    private static readonly Params[] Levels =
    [
        new(Strategy.Fast, 19, 16, 0, 1, 5, 0),
        new(Strategy.Fast, 19, 16, 0, 1, 5, 0),
        new(Strategy.DoubleFast, 20, 17, 16, 1, 5, 0),
        new(Strategy.DoubleFast, 21, 17, 17, 1, 5, 0),
        new(Strategy.DoubleFast, 21, 18, 18, 1, 5, 0),
        new(Strategy.Greedy, 21, 18, 18, 8, 5, 32),
        new(Strategy.Lazy, 21, 18, 18, 8, 5, 32),
        new(Strategy.Lazy, 22, 19, 19, 16, 5, 64),
        new(Strategy.Lazy2, 22, 19, 19, 16, 4, 64),
        new(Strategy.Lazy2, 22, 19, 20, 32, 4, 128),
        new(Strategy.Lazy2, 22, 20, 20, 48, 4, 128),
        new(Strategy.Lazy2, 23, 20, 20, 64, 4, 192),
        new(Strategy.Lazy2, 23, 20, 21, 96, 4, 256),
        new(Strategy.Lazy2, 23, 20, 21, 128, 4, 256),
        new(Strategy.Lazy2, 23, 20, 21, 192, 4, 384),
        new(Strategy.Lazy2, 23, 20, 21, 256, 4, 512),
        new(Strategy.Lazy2, 23, 21, 22, 384, 4, 768),
        new(Strategy.Lazy2, 23, 21, 22, 512, 4, 1024),
        new(Strategy.Lazy2, 23, 21, 22, 768, 4, 1024),
        new(Strategy.Lazy2, 24, 21, 22, 1024, 4, 2048),
        new(Strategy.Lazy2, 25, 21, 22, 1536, 4, 2048),
        new(Strategy.Lazy2, 26, 22, 22, 2048, 4, 4096),
        new(Strategy.Lazy2, 27, 22, 22, 2048, 4, 4096),
    ];

    private const int LiteralSlack = 32;

    // Match finder state: hash table (long hashes for DoubleFast), chain links or the short-hash table. Pinned
    // arrays, used through pointers; empty hash slots hold -1.
    private int[] _hashArray = [], _chainArray = [];
    private int* _hash, _chain;
    private int _hashLog, _chainLog, _chainMask, _nextToUpdate, _minMatch, _depth, _targetLength, _maxDistance;

    // Sequences of the current block; offsets are Offset_Value (repeat codes 1-3, else distance + 3).
    private readonly byte[] _literalArray = GC.AllocateUninitializedArray<byte>(BlockSizeMax + LiteralSlack, pinned: true);
    private readonly byte* _literals;
    private readonly uint[] _seqLiteral = new uint[BlockSizeMax / 3 + 1];
    private readonly uint[] _seqMatch = new uint[BlockSizeMax / 3 + 1];
    private readonly uint[] _seqOffset = new uint[BlockSizeMax / 3 + 1];
    private readonly byte[] _llCode = new byte[BlockSizeMax / 3 + 1];
    private readonly byte[] _mlCode = new byte[BlockSizeMax / 3 + 1];
    private readonly byte[] _ofCode = new byte[BlockSizeMax / 3 + 1];
    private int _literalCount, _seqCount;
    private int _rep1, _rep2, _rep3;

    // Compressed block scratch: worst case is well below 3 block sizes (see EncodeSequences).
    private readonly byte[] _block = new byte[3 * BlockSizeMax + 4096];
    private readonly ZstdFseEncodeTable _llTable = new(), _mlTable = new(), _ofTable = new();
    private static readonly ZstdFseEncodeTable DefaultLiteralLengths = Predefined(DefaultLiteralLengthNorm, LiteralLengthDefaultLog);
    private static readonly ZstdFseEncodeTable DefaultMatchLengths = Predefined(DefaultMatchLengthNorm, MatchLengthDefaultLog);
    private static readonly ZstdFseEncodeTable DefaultOffsets = Predefined(DefaultOffsetNorm, OffsetDefaultLog);

    private ZstdEncoder() =>
        _literals = (byte*)Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_literalArray));

    private static ZstdFseEncodeTable Predefined(ReadOnlySpan<short> norm, int log)
    {
        var table = new ZstdFseEncodeTable();
        table.Build(norm, log);
        return table;
    }

    public byte[] Compress(ReadOnlySpan<byte> src, int level, bool checksum)
    {
        var p = Levels[level <= 0 ? Zstd.DefaultLevel : Math.Min(level, Levels.Length - 1)];
        int length = src.Length;
        int sizeLog = length <= 1 ? 1 : 32 - BitOperations.LeadingZeroCount((uint)(length - 1));
        int windowLog = Math.Max(10, Math.Min(p.WindowLog, sizeLog));
        bool singleSegment = length <= 1 << windowLog;
        long blocks = Math.Max(1, ((long)length + BlockSizeMax - 1) / BlockSizeMax);
        long bound = 18 + length + 3 * blocks + 4;
        if (bound > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(src), $"zstd: {length} bytes is too large for one frame held in memory (at most about {Array.MaxLength - 64 * 1024} bytes).");
        int capacity = (int)bound;
        byte[] output = ArrayPool<byte>.Shared.Rent(capacity);
        try
        {
            int pos = WriteFrameHeader(output, length, windowLog, singleSegment, checksum);
            Prepare(p, sizeLog, singleSegment ? int.MaxValue : 1 << windowLog);
            fixed (byte* s0 = src)
            fixed (byte* o0 = output)
            fixed (byte* scratch = _block)
            {
                int start = 0;
                do
                {
                    int end = Math.Min(length, start + BlockSizeMax);
                    // Far from the end of the output, blocks are encoded in place; near it, in the scratch buffer.
                    byte* body = capacity - pos - 3 >= _block.Length ? o0 + pos + 3 : scratch;
                    pos += CompressBlock(s0, start, end, o0 + pos, body, p.Strategy, last: end == length);
                    start = end;
                }
                while (start < length);
            }
            if (checksum)
            {
                uint hash = (uint)XxHash64.Compute(src);
                for (int i = 0; i < 4; i++) output[pos++] = (byte)(hash >> (8 * i));
            }
            var result = GC.AllocateUninitializedArray<byte>(pos);
            output.AsSpan(0, pos).CopyTo(result);
            return result;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(output);
            // Keep small tables for the next call on this thread; let the large ones of high levels go.
            if (_hashArray.Length > RetainedTableMax) _hashArray = [];
            if (_chainArray.Length > RetainedTableMax) _chainArray = [];
            _hash = _chain = null;
        }
    }

    /// <summary>Largest match-finder table (in ints) kept between calls: 1 MiB.</summary>
    private const int RetainedTableMax = 1 << 18;

    /// <summary>Magic, descriptor, window (unless single segment) and the content size, which is always present.</summary>
    private static int WriteFrameHeader(byte[] o, int length, int windowLog, bool singleSegment, bool checksum)
    {
        int fcsFlag = singleSegment && length < 256 ? 0 : length < 65536 + 256 ? 1 : 2;
        o[0] = 0x28;
        o[1] = 0xB5;
        o[2] = 0x2F;
        o[3] = 0xFD;
        o[4] = (byte)(fcsFlag << 6 | (singleSegment ? 0x20 : 0) | (checksum ? 0x04 : 0));
        int pos = 5;
        if (!singleSegment) o[pos++] = (byte)((windowLog - 10) << 3);
        switch (fcsFlag)
        {
            case 0:
                o[pos++] = (byte)length;
                break;
            case 1:
                o[pos++] = (byte)(length - 256);
                o[pos++] = (byte)((length - 256) >> 8);
                break;
            default:
                for (int i = 0; i < 4; i++) o[pos++] = (byte)(length >> (8 * i));
                break;
        }
        return pos;
    }

    private void Prepare(in Params p, int sizeLog, int maxDistance)
    {
        _hashLog = Math.Min(p.HashLog, Math.Max(10, sizeLog + 1));
        _chainLog = p.Strategy == Strategy.Fast ? 0 : Math.Min(p.ChainLog, Math.Max(10, sizeLog));
        _hash = Table(ref _hashArray, 1 << _hashLog);
        new Span<int>(_hash, 1 << _hashLog).Fill(-1);
        _chain = Table(ref _chainArray, _chainLog == 0 ? 0 : 1 << _chainLog);
        // Chain links are only read for inserted positions and need no clearing; a short-hash table does.
        if (p.Strategy == Strategy.DoubleFast) new Span<int>(_chain, 1 << _chainLog).Fill(-1);
        _chainMask = _chainLog == 0 ? 0 : (1 << _chainLog) - 1;
        _nextToUpdate = 0;
        _minMatch = p.MinMatch;
        _depth = p.Depth;
        _targetLength = p.TargetLength;
        _maxDistance = maxDistance;
        _rep1 = 1;
        _rep2 = 4;
        _rep3 = 8;
    }

    /// <summary>A pinned table of <paramref name="size"/> ints, reused when the size matches.</summary>
    private static int* Table(ref int[] array, int size)
    {
        if (array.Length != size) array = GC.AllocateUninitializedArray<int>(size, pinned: true);
        return (int*)Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(array));
    }

    /// <summary>Writes one block (compressed, raw or RLE, whichever applies and is smallest); returns its size.</summary>
    /// <remarks><paramref name="body"/> receives the compressed body: the output right after the block header, or scratch space.</remarks>
    private int CompressBlock(byte* src, int start, int end, byte* dst, byte* body, Strategy strategy, bool last)
    {
        int blockLength = end - start;
        uint lastBit = last ? 1u : 0u;
        if (blockLength > 1 && !new ReadOnlySpan<byte>(src + start, blockLength).ContainsAnyExcept(src[start]))
        {
            WriteBlockHeader(dst, lastBit | 1u << 1 | (uint)blockLength << 3);
            dst[3] = src[start];
            _nextToUpdate = end;
            return 4;
        }
        int rep1 = _rep1, rep2 = _rep2, rep3 = _rep3;
        _literalCount = 0;
        _seqCount = 0;
        if (blockLength >= 16)
        {
            if (strategy == Strategy.Fast) FindFast(src, start, end);
            else if (strategy == Strategy.DoubleFast) FindDoubleFast(src, start, end);
            else FindChained(src, start, end, strategy);
        }
        else
        {
            AddLiterals(src + start, blockLength);
        }
        int size = EncodeBlockBody(body);
        if (size < blockLength)
        {
            WriteBlockHeader(dst, lastBit | 2u << 1 | (uint)size << 3);
            if (body != dst + 3) Buffer.MemoryCopy(body, dst + 3, size, size);
            return 3 + size;
        }
        // Not worth it: store raw, and forget the repeat offsets the discarded sequences would have set.
        _rep1 = rep1;
        _rep2 = rep2;
        _rep3 = rep3;
        WriteBlockHeader(dst, lastBit | (uint)blockLength << 3);
        Buffer.MemoryCopy(src + start, dst + 3, blockLength, blockLength);
        return 3 + blockLength;
    }

    private static void WriteBlockHeader(byte* dst, uint header)
    {
        dst[0] = (byte)header;
        dst[1] = (byte)(header >> 8);
        dst[2] = (byte)(header >> 16);
    }

    // ---------------------------------------------------------------- match finding

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Read32(byte* p) => Unsafe.ReadUnaligned<uint>(p);

    /// <summary>Hash of the <see cref="_minMatch"/> bytes at p into <paramref name="log"/> bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int HashShort(byte* p, int minMatch, int log) =>
        (int)(((Unsafe.ReadUnaligned<ulong>(p) << (64 - 8 * minMatch)) * 0x9E3779B185EBCA87UL) >> (64 - log));

    /// <summary>Hash of the 8 bytes at p into <paramref name="log"/> bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int HashLong(byte* p, int log) => (int)((Unsafe.ReadUnaligned<ulong>(p) * 0xCF1BBCDCB7A56463UL) >> (64 - log));

    /// <summary>Length of a match at distance <paramref name="offset"/>, 0 when shorter than 4 or out of reach.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MatchAt(byte* src, int ip, int offset, int end)
    {
        if (offset > ip || Read32(src + ip) != Read32(src + ip - offset)) return 0;
        return 4 + (int)LzCopy.CommonLength(src + ip + 4, src + ip + 4 - offset, src + end);
    }

    /// <summary>Level 1: one hash probe per position, skipping faster through incompressible stretches.</summary>
    private void FindFast(byte* src, int start, int end)
    {
        int ip = start, anchor = start, limit = end - 8;
        int* hashTable = _hash;
        int hashLog = _hashLog, minMatch = _minMatch;
        while (ip < limit)
        {
            int h = HashShort(src + ip, minMatch, hashLog);
            int candidate = hashTable[h];
            hashTable[h] = ip;
            int offset, matchLength;
            if (ip > anchor && (matchLength = MatchAt(src, ip, _rep1, end)) >= 4)
            {
                offset = _rep1;
            }
            else
            {
                offset = ip - candidate;
                matchLength = candidate >= 0 && offset <= _maxDistance ? MatchAt(src, ip, offset, end) : 0;
                if (matchLength < minMatch)
                {
                    ip += 1 + ((ip - anchor) >> 6);
                    continue;
                }
            }
            ip = EmitMatch(src, ip, anchor, offset, matchLength);
            if (ip - 2 > start && ip - 2 < limit) hashTable[HashShort(src + ip - 2, minMatch, hashLog)] = ip - 2;
            anchor = ip = EmitRepeats(src, ip, end, limit);
        }
        AddLiterals(src + anchor, end - anchor);
    }

    /// <summary>
    /// Levels 2-4: a table of 8-byte hashes finds long matches, a table of short hashes the rest; when only a short
    /// match turns up, a long one starting a byte later is preferred. Tables are updated sparsely after matches.
    /// </summary>
    private void FindDoubleFast(byte* src, int start, int end)
    {
        int ip = start, anchor = start, limit = end - 8;
        int* longTable = _hash, shortTable = _chain;
        int longLog = _hashLog, shortLog = _chainLog, minMatch = _minMatch;
        while (ip < limit)
        {
            int hl = HashLong(src + ip, longLog), hs = HashShort(src + ip, minMatch, shortLog);
            int longCandidate = longTable[hl], shortCandidate = shortTable[hs];
            longTable[hl] = ip;
            shortTable[hs] = ip;
            int offset, matchLength;
            if (ip > anchor && (matchLength = MatchAt(src, ip, _rep1, end)) >= 4)
            {
                offset = _rep1;
            }
            else if (longCandidate >= 0 && ip - longCandidate <= _maxDistance
                && Unsafe.ReadUnaligned<ulong>(src + longCandidate) == Unsafe.ReadUnaligned<ulong>(src + ip))
            {
                offset = ip - longCandidate;
                matchLength = 8 + (int)LzCopy.CommonLength(src + ip + 8, src + longCandidate + 8, src + end);
            }
            else
            {
                offset = ip - shortCandidate;
                matchLength = shortCandidate >= 0 && offset <= _maxDistance ? MatchAt(src, ip, offset, end) : 0;
                if (matchLength < minMatch)
                {
                    ip += 1 + ((ip - anchor) >> 8);
                    continue;
                }
                int next = ip + 1;
                int hl1 = HashLong(src + next, longLog);
                int longNext = longTable[hl1];
                longTable[hl1] = next;
                if (longNext >= 0 && next - longNext <= _maxDistance
                    && Unsafe.ReadUnaligned<ulong>(src + longNext) == Unsafe.ReadUnaligned<ulong>(src + next))
                {
                    int length1 = 8 + (int)LzCopy.CommonLength(src + next + 8, src + longNext + 8, src + end);
                    if (length1 > matchLength)
                    {
                        ip = next;
                        offset = next - longNext;
                        matchLength = length1;
                    }
                }
            }
            int matchStart = ip;
            ip = EmitMatch(src, ip, anchor, offset, matchLength);
            // Refresh both tables at a few positions of the match so later data can refer into it.
            for (int p = matchStart + 2; p < ip && p < limit; p += Math.Max(1, (ip - matchStart) >> 2))
            {
                longTable[HashLong(src + p, longLog)] = p;
                shortTable[HashShort(src + p, minMatch, shortLog)] = p;
            }
            if (ip - 1 < limit && ip - 1 > matchStart) shortTable[HashShort(src + ip - 1, minMatch, shortLog)] = ip - 1;
            anchor = ip = EmitRepeats(src, ip, end, limit);
        }
        AddLiterals(src + anchor, end - anchor);
    }

    /// <summary>Greedy or lazy search over hash chains (levels 2+).</summary>
    private void FindChained(byte* src, int start, int end, Strategy strategy)
    {
        int ip = start, anchor = start, limit = end - 8;
        int lookahead = strategy == Strategy.Greedy ? 0 : strategy == Strategy.Lazy ? 1 : 2;
        while (ip < limit)
        {
            int bestLength = Best(src, ip, anchor, end, out int bestOffset);
            if (bestLength == 0)
            {
                ip += 1 + ((ip - anchor) >> 8);
                continue;
            }
            // Lazy evaluation: move on by one position when the match found there is worth more than a literal.
            for (int step = 0; step < lookahead && ip + 1 < limit && bestLength < _targetLength; step++)
            {
                int threshold = Gain(bestLength, bestOffset) + (step == 0 ? 4 : 7);
                int nextLength = Best(src, ip + 1, anchor, end, out int nextOffset);
                if (nextLength == 0 || Gain(nextLength, nextOffset) <= threshold) break;
                ip++;
                bestLength = nextLength;
                bestOffset = nextOffset;
            }
            ip = EmitMatch(src, ip, anchor, bestOffset, bestLength);
            anchor = ip = EmitRepeats(src, ip, end, limit);
        }
        AddLiterals(src + anchor, end - anchor);
    }

    /// <summary>The better of the repeat-offset match and the hash-chain match at <paramref name="ip"/>; 0 when neither qualifies.</summary>
    private int Best(byte* src, int ip, int anchor, int end, out int offset)
    {
        int repLength = ip > anchor ? MatchAt(src, ip, _rep1, end) : 0;
        int found = Search(src, ip, end, out int foundOffset);
        if (found >= _minMatch && Gain(found, foundOffset) > Gain(repLength, _rep1))
        {
            offset = foundOffset;
            return found;
        }
        offset = _rep1;
        return repLength >= 4 ? repLength : 0;
    }

    /// <summary>Value of a match: 4 per byte minus the offset's cost in bits (repeat offsets are nearly free).</summary>
    private int Gain(int length, int offset) =>
        length == 0 ? 0 : length * 4 - (offset == _rep1 ? 0 : BitOperations.Log2((uint)offset + 3));

    /// <summary>
    /// Inserts every position up to <paramref name="ip"/> into the hash chains and walks the chain of
    /// <paramref name="ip"/>; returns the longest match found (0 if none reaches the minimum).
    /// </summary>
    private int Search(byte* src, int ip, int end, out int offset)
    {
        int* hashTable = _hash, chain = _chain;
        int mask = _chainMask, minMatch = _minMatch, hashLog = _hashLog;
        for (int p = _nextToUpdate; p < ip; p++)
        {
            int hp = HashShort(src + p, minMatch, hashLog);
            chain[p & mask] = hashTable[hp];
            hashTable[hp] = p;
        }
        int h = HashShort(src + ip, minMatch, hashLog);
        int candidate = hashTable[h];
        chain[ip & mask] = candidate;
        hashTable[h] = ip;
        _nextToUpdate = ip + 1;

        int lowWindow = _maxDistance >= ip ? 0 : ip - _maxDistance;
        int lowChain = ip - mask;
        int best = _minMatch - 1, bestOffset = 0, maxLength = end - ip;
        for (int depth = _depth; depth > 0 && candidate >= lowWindow && candidate < ip; depth--)
        {
            if (src[candidate + best] == src[ip + best] && Read32(src + candidate) == Read32(src + ip))
            {
                int length = 4 + (int)LzCopy.CommonLength(src + ip + 4, src + candidate + 4, src + end);
                if (length > best)
                {
                    best = length;
                    bestOffset = ip - candidate;
                    if (length >= _targetLength || length >= maxLength) break;
                }
            }
            if (candidate <= lowChain) break;
            candidate = chain[candidate & mask];
        }
        offset = bestOffset;
        return bestOffset == 0 ? 0 : best;
    }

    /// <summary>Extends a match backwards over equal literals, records it and returns the position after it.</summary>
    private int EmitMatch(byte* src, int ip, int anchor, int offset, int length)
    {
        while (ip > anchor && ip - offset > 0 && src[ip - 1] == src[ip - 1 - offset])
        {
            ip--;
            length++;
        }
        AddSequence(src + anchor, ip - anchor, offset, length);
        return ip + length;
    }

    /// <summary>Takes matches at the second repeat offset right after a match (coded as repeat 1 with no literals).</summary>
    private int EmitRepeats(byte* src, int ip, int end, int limit)
    {
        while (ip < limit)
        {
            int length = MatchAt(src, ip, _rep2, end);
            if (length < 4) break;
            AddSequence(src + ip, 0, _rep2, length);
            ip += length;
        }
        return ip;
    }

    private void AddLiterals(byte* p, int n)
    {
        Buffer.MemoryCopy(p, _literals + _literalCount, n, n);
        _literalCount += n;
    }

    /// <summary>Records a sequence, coding the offset with the repeat-offset rules the decoder applies (RFC 8878 §3.1.1.5).</summary>
    private void AddSequence(byte* literals, int literalLength, int offset, int matchLength)
    {
        AddLiterals(literals, literalLength);
        uint value;
        if (literalLength > 0 && offset == _rep1)
        {
            value = 1;
        }
        else if (offset == _rep2)
        {
            // Repeat 2, or repeat 1 after zero literals (the codes shift by one then).
            value = literalLength > 0 ? 2u : 1u;
            _rep2 = _rep1;
            _rep1 = offset;
        }
        else
        {
            if (offset == _rep3) value = literalLength > 0 ? 3u : 2u;
            else if (literalLength == 0 && offset == _rep1 - 1) value = 3;
            else value = (uint)offset + 3;
            _rep3 = _rep2;
            _rep2 = _rep1;
            _rep1 = offset;
        }
        int n = _seqCount++;
        _seqLiteral[n] = (uint)literalLength;
        _seqMatch[n] = (uint)matchLength;
        _seqOffset[n] = value;
    }

    // ---------------------------------------------------------------- entropy stage

    /// <summary>Literals and sequences sections of the current block into <paramref name="dst"/>; returns their size.</summary>
    private int EncodeBlockBody(byte* dst)
    {
        int size;
        size = ZstdHuffmanEncoder.EncodeLiterals(dst, _literals, _literalCount);
        return size + EncodeSequences(dst + size);
    }

    private int EncodeSequences(byte* dst)
    {
        int nbSeq = _seqCount;
        byte* op = dst;
        if (nbSeq < 128)
        {
            *op++ = (byte)nbSeq;
        }
        else if (nbSeq < 0x7F00)
        {
            *op++ = (byte)((nbSeq >> 8) + 128);
            *op++ = (byte)nbSeq;
        }
        else
        {
            *op++ = 255;
            *op++ = (byte)(nbSeq - 0x7F00);
            *op++ = (byte)((nbSeq - 0x7F00) >> 8);
        }
        if (nbSeq == 0) return (int)(op - dst);

        Span<int> llCount = stackalloc int[MaxLiteralLengthCode + 1];
        Span<int> mlCount = stackalloc int[MaxMatchLengthCode + 1];
        Span<int> ofCount = stackalloc int[MaxOffsetCode + 1];
        for (int i = 0; i < nbSeq; i++)
        {
            byte ll = LiteralLengthCode(_seqLiteral[i]), ml = MatchLengthCode(_seqMatch[i] - 3), of = (byte)HighBit(_seqOffset[i]);
            _llCode[i] = ll;
            _mlCode[i] = ml;
            _ofCode[i] = of;
            llCount[ll]++;
            mlCount[ml]++;
            ofCount[of]++;
        }
        byte* modes = op++;
        int llMode = ChooseTable(llCount, nbSeq, DefaultLiteralLengthNorm, LiteralLengthDefaultLog, LiteralLengthLogMax, _llTable, DefaultLiteralLengths, ref op, out var llTable);
        int ofMode = ChooseTable(ofCount, nbSeq, DefaultOffsetNorm, OffsetDefaultLog, OffsetLogMax, _ofTable, DefaultOffsets, ref op, out var ofTable);
        int mlMode = ChooseTable(mlCount, nbSeq, DefaultMatchLengthNorm, MatchLengthDefaultLog, MatchLengthLogMax, _mlTable, DefaultMatchLengths, ref op, out var mlTable);
        *modes = (byte)(llMode << 6 | ofMode << 4 | mlMode << 2);

        // Bit stream, last sequence first: per sequence at most 26 state bits + 16 + 16 + 31 extra bits, so
        // (with 32 sequences per 4 bytes of input at least) it stays well inside the scratch buffer.
        var w = new ZstdBitWriter(op);
        int last = nbSeq - 1;
        uint llState = llTable?.Init(_llCode[last]) ?? 0, mlState = mlTable?.Init(_mlCode[last]) ?? 0, ofState = ofTable?.Init(_ofCode[last]) ?? 0;
        ReadOnlySpan<uint> llBase = LiteralLengthBase, mlBase = MatchLengthBase;
        ReadOnlySpan<byte> llBits = LiteralLengthBits, mlBits = MatchLengthBits;
        for (int i = last; i >= 0; i--)
        {
            int ll = _llCode[i], ml = _mlCode[i], of = _ofCode[i];
            if (i != last)
            {
                ofTable?.Encode(ref w, ref ofState, of);
                mlTable?.Encode(ref w, ref mlState, ml);
                llTable?.Encode(ref w, ref llState, ll);
            }
            w.Add(_seqLiteral[i] - llBase[ll], llBits[ll]);
            w.Flush();
            w.Add(_seqMatch[i] - mlBase[ml], mlBits[ml]);
            w.Add(_seqOffset[i] - (1u << of), of);
            w.Flush();
        }
        mlTable?.Finish(ref w, mlState);
        ofTable?.Finish(ref w, ofState);
        llTable?.Finish(ref w, llState);
        op += w.Close();
        return (int)(op - dst);
    }

    /// <summary>
    /// Picks RLE (one symbol), the predefined table or a table computed from the counts (written at op),
    /// by estimated size. Returns the mode (0 predefined, 1 RLE, 2 FSE); <paramref name="table"/> is null for RLE.
    /// </summary>
    private static int ChooseTable(ReadOnlySpan<int> count, int total, ReadOnlySpan<short> defaultNorm, int defaultLog, int maxLog,
        ZstdFseEncodeTable own, ZstdFseEncodeTable predefined, ref byte* op, out ZstdFseEncodeTable? table)
    {
        int maxSymbol = 0, distinct = 0;
        for (int s = 0; s < count.Length; s++)
        {
            if (count[s] == 0) continue;
            maxSymbol = s;
            distinct++;
        }
        if (distinct == 1)
        {
            *op++ = (byte)maxSymbol;
            table = null;
            return 1;
        }
        double predefinedCost = ZstdDistribution.Cost(count, defaultNorm, defaultLog);
        int tableLog = ZstdDistribution.OptimalTableLog(maxLog, total, maxSymbol);
        Span<short> norm = stackalloc short[maxSymbol + 1];
        ZstdDistribution.Normalize(count[..(maxSymbol + 1)], total, tableLog, norm);
        Span<byte> header = stackalloc byte[128];
        int headerSize = ZstdFse.WriteCounts(header, norm, tableLog);
        double computedCost = ZstdDistribution.Cost(count, norm, tableLog) + headerSize * 8;
        if (predefinedCost <= computedCost)
        {
            table = predefined;
            return 0;
        }
        own.Build(norm, tableLog);
        header[..headerSize].CopyTo(new Span<byte>(op, headerSize));
        op += headerSize;
        table = own;
        return 2;
    }

    private static byte LiteralLengthCode(uint length)
    {
        if (length < 16) return (byte)length;
        if (length >= 64) return (byte)(HighBit(length) + 19);
        return CodeOf(LiteralLengthBase, length);
    }

    private static byte MatchLengthCode(uint lengthMinus3)
    {
        if (lengthMinus3 < 32) return (byte)lengthMinus3;
        if (lengthMinus3 >= 128) return (byte)(HighBit(lengthMinus3) + 36);
        return CodeOf(MatchLengthBase, lengthMinus3 + 3);
    }

    /// <summary>Largest code whose baseline is at most <paramref name="value"/> (for the small table-driven ranges).</summary>
    private static byte CodeOf(ReadOnlySpan<uint> baseline, uint value)
    {
        int code = baseline.Length - 1;
        while (baseline[code] > value) code--;
        return (byte)code;
    }
}

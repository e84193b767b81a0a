using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using EmAlign.Diagnostics;
using static EmAlign.Codecs.ZstdFormat;

namespace EmAlign.Codecs;

/// <summary>
/// Zstandard frame decoder (RFC 8878) writing straight into the caller's buffer. Per-thread instance: its
/// scratch (literal buffer, Huffman and FSE tables) lives in pinned arrays so hot loops run on pointers.
/// Copies may run up to <see cref="WildSlack"/> bytes past the current position, but never past the end of
/// the frame's declared content (or of the destination when a frame declares none).
/// </summary>
internal sealed unsafe class ZstdDecoder
{
    /// <summary>Bytes a wild copy may write past the end of what it must copy.</summary>
    private const int WildSlack = 32;

    [ThreadStatic] private static ZstdDecoder? t_instance;

    public static ZstdDecoder ForThread => t_instance ??= new ZstdDecoder();

    // Predefined tables (RFC 8878 §3.1.1.3.2.2), built once; the arrays are pinned so the pointers stay valid.
    private static readonly ZstdSeqEntry[] DefaultTables = GC.AllocateArray<ZstdSeqEntry>(
        (1 << LiteralLengthDefaultLog) + (1 << MatchLengthDefaultLog) + (1 << OffsetDefaultLog), pinned: true);
    private static readonly ZstdSeqEntry* DefaultLiteralLengths, DefaultMatchLengths, DefaultOffsets;

    // Scratch: literal buffer (with slack for wild copies), Huffman table, FSE tables. Pinned, owned by this instance.
    private readonly byte[] _literalArray = GC.AllocateUninitializedArray<byte>(BlockSizeMax + WildSlack, pinned: true);
    private readonly ushort[] _huffmanArray = GC.AllocateArray<ushort>(1 << HuffmanLogMax, pinned: true);
    private readonly ZstdSeqEntry[] _tableArray = GC.AllocateArray<ZstdSeqEntry>(
        (1 << LiteralLengthLogMax) + (1 << MatchLengthLogMax) + (1 << OffsetLogMax), pinned: true);
    private readonly byte* _literals;
    private readonly ushort* _huffman;
    // The current literal-length, match-length and offset tables, always at these fixed places (predefined ones
    // are copied in) so the sequence loop needs a single base pointer.
    private readonly ZstdSeqEntry* _llOwn, _mlOwn, _ofOwn;
    private const int MatchLengthTableOffset = 1 << LiteralLengthLogMax, OffsetTableOffset = MatchLengthTableOffset + (1 << MatchLengthLogMax);

    // Per-frame state: tables reusable by later blocks (repeat modes, treeless literals) and repeat offsets.
    private int _huffmanLog;
    private bool _haveSeqTables;
    private int _llLog, _mlLog, _ofLog;
    private nint _rep1, _rep2, _rep3;

    // End of the whole input: raw literals are used where they lie when wild copies may read past them.
    private byte* _srcEnd;

    static ZstdDecoder()
    {
        DefaultLiteralLengths = PointerTo(DefaultTables);
        DefaultMatchLengths = DefaultLiteralLengths + (1 << LiteralLengthDefaultLog);
        DefaultOffsets = DefaultMatchLengths + (1 << MatchLengthDefaultLog);
        ZstdFse.BuildSeqTable(DefaultLiteralLengths, DefaultLiteralLengthNorm, LiteralLengthDefaultLog, LiteralLengthBase, LiteralLengthBits);
        ZstdFse.BuildSeqTable(DefaultMatchLengths, DefaultMatchLengthNorm, MatchLengthDefaultLog, MatchLengthBase, MatchLengthBits);
        ZstdFse.BuildSeqTable(DefaultOffsets, DefaultOffsetNorm, OffsetDefaultLog, default, default);
    }

    private ZstdDecoder()
    {
        _literals = PointerTo(_literalArray);
        _huffman = PointerTo(_huffmanArray);
        _llOwn = PointerTo(_tableArray);
        _mlOwn = _llOwn + MatchLengthTableOffset;
        _ofOwn = _llOwn + OffsetTableOffset;
    }

    /// <summary>Address of a pinned array's first element.</summary>
    private static T* PointerTo<T>(T[] pinned) where T : unmanaged =>
        (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));

    /// <summary>Decodes every frame of <paramref name="src"/> into <paramref name="dst"/>; returns bytes written.</summary>
    public int Decompress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        if (src.IsEmpty) throw Corrupt("the input is empty");
        fixed (byte* s0 = src)
        fixed (byte* d0 = dst)
        {
            byte* ip = s0, iend = s0 + src.Length;
            byte* op = d0, oend = d0 + dst.Length;
            _srcEnd = iend;
            while (ip < iend)
            {
                if (iend - ip < 4) throw Corrupt($"{iend - ip} stray bytes after the last frame");
                uint magic = Unsafe.ReadUnaligned<uint>(ip);
                if (magic == FrameMagic)
                {
                    op = DecodeFrame(ref ip, iend, op, oend);
                }
                else if ((magic & SkippableMagicMask) == SkippableMagic)
                {
                    if (iend - ip < 8) throw Corrupt("truncated skippable frame header");
                    uint size = Unsafe.ReadUnaligned<uint>(ip + 4);
                    if (size > (ulong)(iend - ip - 8)) throw Corrupt("truncated skippable frame");
                    ip += 8 + (nint)size;
                }
                else
                {
                    throw Corrupt($"unknown frame magic 0x{magic:X8} at byte {ip - s0} (expected 0xFD2FB528)");
                }
            }
            return (int)(op - d0);
        }
    }

    /// <summary>Parsed frame header (RFC 8878 §3.1.1.1).</summary>
    private readonly struct FrameHeader
    {
        public readonly int HeaderSize;
        public readonly long ContentSize; // -1 when not declared
        public readonly ulong WindowSize;
        public readonly bool Checksum;

        private FrameHeader(int headerSize, long contentSize, ulong windowSize, bool checksum)
        {
            HeaderSize = headerSize;
            ContentSize = contentSize;
            WindowSize = windowSize;
            Checksum = checksum;
        }

        /// <summary>Parses the header at <paramref name="ip"/> (after the magic number).</summary>
        public static FrameHeader Parse(byte* ip, byte* iend)
        {
            if (iend - ip < 1) throw Corrupt("truncated frame header");
            byte fhd = ip[0];
            if ((fhd & 0x08) != 0) throw Corrupt("reserved frame header bit is set");
            int fcsFlag = fhd >> 6, didFlag = fhd & 3;
            bool single = (fhd & 0x20) != 0;
            int didSize = didFlag == 3 ? 4 : didFlag;
            int fcsSize = fcsFlag == 0 ? (single ? 1 : 0) : 1 << fcsFlag;
            int size = 1 + (single ? 0 : 1) + didSize + fcsSize;
            if (iend - ip < size) throw Corrupt("truncated frame header");
            byte* p = ip + 1;
            ulong window = 0;
            if (!single)
            {
                int exponent = p[0] >> 3, mantissa = p[0] & 7;
                int windowLog = 10 + exponent;
                if (windowLog > WindowLogMax) throw Corrupt($"window of 2^{windowLog} bytes exceeds the 2^{WindowLogMax} limit");
                ulong windowBase = 1UL << windowLog;
                window = windowBase + (windowBase >> 3) * (ulong)mantissa;
                p++;
            }
            ulong dictionary = ReadLittle(p, didSize);
            p += didSize;
            if (dictionary != 0)
                throw new CorruptDataException($"zstd frame needs dictionary {dictionary}; zstd dictionaries are not supported.");
            long contentSize = -1;
            if (fcsSize > 0)
            {
                ulong fcs = ReadLittle(p, fcsSize) + (fcsSize == 2 ? 256UL : 0UL);
                if (fcs > long.MaxValue) throw Corrupt("frame content size is out of range");
                contentSize = (long)fcs;
            }
            if (single) window = (ulong)contentSize;
            return new FrameHeader(size, contentSize, window, (fhd & 0x04) != 0);
        }

        private static ulong ReadLittle(byte* p, int n)
        {
            ulong v = 0;
            for (int i = 0; i < n; i++) v |= (ulong)p[i] << (8 * i);
            return v;
        }
    }

    private byte* DecodeFrame(ref byte* ip, byte* iend, byte* op, byte* oend)
    {
        var header = FrameHeader.Parse(ip + 4, iend);
        ip += 4 + header.HeaderSize;
        byte* frameStart = op;
        byte* frameEnd = oend;
        if (header.ContentSize >= 0)
        {
            if (header.ContentSize > oend - op)
                throw new CorruptDataException($"zstd frame declares {header.ContentSize} bytes but only {oend - op} bytes of output are expected.");
            frameEnd = op + (nint)header.ContentSize;
        }
        int blockMax = (int)Math.Min(header.WindowSize, (ulong)BlockSizeMax);
        _huffmanLog = 0;
        _haveSeqTables = false;
        _rep1 = 1;
        _rep2 = 4;
        _rep3 = 8;
        while (true)
        {
            if (iend - ip < 3) throw Corrupt("truncated block header");
            uint bh = ip[0] | (uint)ip[1] << 8 | (uint)ip[2] << 16;
            ip += 3;
            bool last = (bh & 1) != 0;
            int type = (int)(bh >> 1) & 3;
            int size = (int)(bh >> 3);
            if (size > blockMax) throw Corrupt($"block of {size} bytes exceeds the {blockMax}-byte maximum");
            switch (type)
            {
                case 0:
                    if (iend - ip < size) throw Corrupt("truncated raw block");
                    if (frameEnd - op < size) throw TooLarge(frameEnd, frameStart);
                    Buffer.MemoryCopy(ip, op, size, size);
                    ip += size;
                    op += size;
                    break;
                case 1:
                    if (iend - ip < 1) throw Corrupt("truncated RLE block");
                    if (frameEnd - op < size) throw TooLarge(frameEnd, frameStart);
                    new Span<byte>(op, size).Fill(*ip);
                    ip += 1;
                    op += size;
                    break;
                case 2:
                    if (iend - ip < size) throw Corrupt("truncated compressed block");
                    byte* blockStart = op;
                    op = DecodeCompressedBlock(ip, ip + size, op, frameStart, frameEnd, blockMax);
                    if (op - blockStart > blockMax) throw Corrupt($"block decodes to more than {blockMax} bytes");
                    ip += size;
                    break;
                default:
                    throw Corrupt("reserved block type");
            }
            if (last) break;
        }
        if (header.ContentSize >= 0 && op != frameEnd)
            throw Corrupt($"frame holds {op - frameStart} bytes but declares {header.ContentSize}");
        if (header.Checksum)
        {
            if (iend - ip < 4) throw Corrupt("truncated content checksum");
            uint stored = Unsafe.ReadUnaligned<uint>(ip);
            ip += 4;
            uint actual = (uint)XxHash64.Compute(new ReadOnlySpan<byte>(frameStart, (int)(op - frameStart)));
            if (stored != actual) throw Corrupt($"content checksum 0x{actual:X8} does not match the stored 0x{stored:X8}");
        }
        return op;
    }

    /// <summary>Sum of the declared content sizes of all frames (see <see cref="Zstd.TryGetDecompressedSize"/>).</summary>
    public static bool TryGetDecompressedSize(ReadOnlySpan<byte> src, out long size)
    {
        size = 0;
        if (src.IsEmpty) throw Corrupt("the input is empty");
        fixed (byte* s0 = src)
        {
            byte* ip = s0, iend = s0 + src.Length;
            while (ip < iend)
            {
                if (iend - ip < 8) throw Corrupt("truncated frame");
                uint magic = Unsafe.ReadUnaligned<uint>(ip);
                if ((magic & SkippableMagicMask) == SkippableMagic)
                {
                    uint skip = Unsafe.ReadUnaligned<uint>(ip + 4);
                    if (skip > (ulong)(iend - ip - 8)) throw Corrupt("truncated skippable frame");
                    ip += 8 + (nint)skip;
                    continue;
                }
                if (magic != FrameMagic) throw Corrupt($"unknown frame magic 0x{magic:X8} at byte {ip - s0} (expected 0xFD2FB528)");
                var header = FrameHeader.Parse(ip + 4, iend);
                if (header.ContentSize < 0) return false;
                size += header.ContentSize;
                ip += 4 + header.HeaderSize;
                while (true)
                {
                    if (iend - ip < 3) throw Corrupt("truncated block header");
                    uint bh = ip[0] | (uint)ip[1] << 8 | (uint)ip[2] << 16;
                    nint stored = ((bh >> 1) & 3) == 1 ? 1 : (nint)(bh >> 3);
                    if (iend - ip - 3 < stored) throw Corrupt("truncated block");
                    ip += 3 + stored;
                    if ((bh & 1) != 0) break;
                }
                if (header.Checksum) ip += 4;
                if (ip > iend) throw Corrupt("truncated content checksum");
            }
        }
        return true;
    }

    /// <summary>The frame would exceed its declared size or the destination (the decompression-bomb guard).</summary>
    private static CorruptDataException TooLarge(byte* frameEnd, byte* frameStart) =>
        new($"zstd frame decodes to more than the {frameEnd - frameStart} bytes expected (declared content size or destination length).");

    private byte* DecodeCompressedBlock(byte* ip, byte* iend, byte* op, byte* frameStart, byte* frameEnd, int blockMax)
    {
        ip = DecodeLiterals(ip, iend, blockMax, op, frameEnd, out byte* lit, out int literalCount, out bool inPlace);
        if (inPlace)
        {
            // A block of literals only, decoded straight into the output (the sequences byte is 0).
            if (ip + 1 != iend) throw Corrupt("data after an empty sequences section");
            return op + literalCount;
        }
        byte* litEnd = lit + literalCount;

        if (ip >= iend) throw Corrupt("missing sequences section");
        int nbSeq = *ip++;
        if (nbSeq >= 128)
        {
            if (nbSeq == 255)
            {
                if (iend - ip < 2) throw Corrupt("truncated sequences header");
                nbSeq = (ip[0] | ip[1] << 8) + 0x7F00;
                ip += 2;
            }
            else
            {
                if (iend - ip < 1) throw Corrupt("truncated sequences header");
                nbSeq = ((nbSeq - 128) << 8) + *ip++;
            }
        }
        if (nbSeq == 0)
        {
            if (ip != iend) throw Corrupt("data after an empty sequences section");
            if (frameEnd - op < literalCount) throw TooLarge(frameEnd, frameStart);
            Buffer.MemoryCopy(lit, op, literalCount, literalCount);
            return op + literalCount;
        }
        if (ip >= iend) throw Corrupt("truncated sequences header");
        byte modes = *ip++;
        if ((modes & 3) != 0) throw Corrupt("reserved bits of the compression modes are set");
        ip = ReadSeqTable(ip, iend, modes >> 6, ref _llLog, _llOwn, DefaultLiteralLengths, LiteralLengthDefaultLog,
            LiteralLengthLogMax, MaxLiteralLengthCode, LiteralLengthBase, LiteralLengthBits);
        ip = ReadSeqTable(ip, iend, (modes >> 4) & 3, ref _ofLog, _ofOwn, DefaultOffsets, OffsetDefaultLog,
            OffsetLogMax, MaxOffsetCode, default, default);
        ip = ReadSeqTable(ip, iend, (modes >> 2) & 3, ref _mlLog, _mlOwn, DefaultMatchLengths, MatchLengthDefaultLog,
            MatchLengthLogMax, MaxMatchLengthCode, MatchLengthBase, MatchLengthBits);
        _haveSeqTables = true;
        return DecodeSequences(ip, iend, nbSeq, op, frameEnd, frameStart, lit, litEnd);
    }

    private byte* ReadSeqTable(byte* ip, byte* iend, int mode, ref int log, ZstdSeqEntry* own,
        ZstdSeqEntry* predefined, int predefinedLog, int maxLog, int maxSymbol, ReadOnlySpan<uint> baseValue, ReadOnlySpan<byte> extraBits)
    {
        switch (mode)
        {
            case 0:
                Buffer.MemoryCopy(predefined, own, sizeof(ZstdSeqEntry) << predefinedLog, sizeof(ZstdSeqEntry) << predefinedLog);
                log = predefinedLog;
                return ip;
            case 1:
                {
                    if (ip >= iend) throw Corrupt("truncated RLE sequence table");
                    int symbol = *ip++;
                    if (symbol > maxSymbol) throw Corrupt($"RLE sequence code {symbol} exceeds {maxSymbol}");
                    own[0] = new ZstdSeqEntry
                    {
                        BaseValue = baseValue.IsEmpty ? 1u << symbol : baseValue[symbol],
                        ExtraBits = baseValue.IsEmpty ? (byte)symbol : extraBits[symbol],
                    };
                    log = 0;
                    return ip;
                }
            case 2:
                {
                    Span<short> norm = stackalloc short[maxSymbol + 1];
                    int used = ZstdFse.ReadCounts(ip, iend, norm, maxLog, out int tableLog);
                    ZstdFse.BuildSeqTable(own, norm, tableLog, baseValue, extraBits);
                    log = tableLog;
                    return ip + used;
                }
            default:
                if (!_haveSeqTables) throw Corrupt("repeat sequence table mode without a previous table");
                return ip;
        }
    }

    // ---------------------------------------------------------------- literals

    /// <summary>
    /// Decodes the literals section into the literal buffer, or straight into the output at <paramref name="op"/>
    /// when no sequences follow (<paramref name="inPlace"/>), which saves a copy; raw literals with room for wild
    /// reads after them are used where they lie. Returns the end of the section.
    /// </summary>
    private byte* DecodeLiterals(byte* ip, byte* iend, int blockMax, byte* op, byte* frameEnd, out byte* literals, out int count, out bool inPlace)
    {
        nint avail = (nint)(iend - ip);
        if (avail < 1) throw Corrupt("empty compressed block");
        int b0 = ip[0];
        int type = b0 & 3, sizeFormat = (b0 >> 2) & 3;
        if (type < 2)
        {
            int headerSize;
            switch (sizeFormat)
            {
                case 1:
                    if (avail < 2) throw Corrupt("truncated literals header");
                    count = (b0 >> 4) + (ip[1] << 4);
                    headerSize = 2;
                    break;
                case 3:
                    if (avail < 3) throw Corrupt("truncated literals header");
                    count = (b0 >> 4) + (ip[1] << 4) + (ip[2] << 12);
                    headerSize = 3;
                    break;
                default:
                    count = b0 >> 3;
                    headerSize = 1;
                    break;
            }
            if (count > blockMax) throw Corrupt($"{count} literals exceed the block maximum {blockMax}");
            ip += headerSize;
            if (type == 0)
            {
                if (iend - ip < count) throw Corrupt("truncated raw literals");
                byte* target = LiteralTarget(ip + count, iend, count, op, frameEnd, out inPlace);
                if (!inPlace && _srcEnd - (ip + count) >= WildSlack)
                {
                    literals = ip;
                    return ip + count;
                }
                Buffer.MemoryCopy(ip, target, count, count);
                literals = target;
                return ip + count;
            }
            if (ip >= iend) throw Corrupt("truncated RLE literals");
            literals = LiteralTarget(ip + 1, iend, count, op, frameEnd, out inPlace);
            new Span<byte>(literals, count).Fill(*ip);
            return ip + 1;
        }

        int hdr = sizeFormat < 2 ? 3 : sizeFormat == 2 ? 4 : 5;
        if (avail < hdr) throw Corrupt("truncated literals header");
        ulong h = 0;
        for (int i = 0; i < hdr; i++) h |= (ulong)ip[i] << (8 * i);
        int sizeBits = sizeFormat < 2 ? 10 : sizeFormat == 2 ? 14 : 18;
        count = (int)(h >> 4) & ((1 << sizeBits) - 1);
        int compressed = (int)(h >> (4 + sizeBits)) & ((1 << sizeBits) - 1);
        bool fourStreams = sizeFormat != 0;
        if (count > blockMax) throw Corrupt($"{count} literals exceed the block maximum {blockMax}");
        ip += hdr;
        if (iend - ip < compressed) throw Corrupt("truncated Huffman literals");
        byte* cend = ip + compressed;
        if (type == 2)
        {
            ip += ReadHuffmanTable(ip, cend);
        }
        else if (_huffmanLog == 0)
        {
            throw Corrupt("treeless literals without a previous Huffman table");
        }
        literals = LiteralTarget(cend, iend, count, op, frameEnd, out inPlace);
        if (fourStreams) DecodeHuffman4(ip, cend, literals, count);
        else DecodeHuffmanStream(ip, (nint)(cend - ip), literals, literals + count);
        return cend;
    }

    /// <summary>The output when the section is followed by "0 sequences" and the literals fit, else the literal buffer.</summary>
    private byte* LiteralTarget(byte* sectionEnd, byte* iend, int count, byte* op, byte* frameEnd, out bool inPlace)
    {
        inPlace = sectionEnd < iend && *sectionEnd == 0 && frameEnd - op >= count;
        return inPlace ? op : _literals;
    }

    /// <summary>Reads a Huffman tree description (RFC 8878 §4.2.1) and builds the decoding table.</summary>
    private int ReadHuffmanTable(byte* ip, byte* iend)
    {
        if (ip >= iend) throw Corrupt("missing Huffman tree description");
        Span<byte> weights = stackalloc byte[256];
        int header = ip[0], count, used;
        if (header >= 128)
        {
            count = header - 127;
            int bytes = (count + 1) >> 1;
            if (iend - ip - 1 < bytes) throw Corrupt("truncated Huffman weights");
            for (int i = 0; i < count; i++)
            {
                int b = ip[1 + (i >> 1)];
                weights[i] = (byte)((i & 1) == 0 ? b >> 4 : b & 15);
            }
            used = 1 + bytes;
        }
        else
        {
            if (header == 0 || iend - ip - 1 < header) throw Corrupt("truncated Huffman weights");
            count = DecodeWeights(ip + 1, header, weights);
            used = 1 + header;
        }
        BuildHuffmanTable(weights, count);
        return used;
    }

    /// <summary>FSE-compressed Huffman weights: two interleaved states over one bit stream.</summary>
    internal static int DecodeWeights(byte* ip, int size, Span<byte> weights)
    {
        Span<short> norm = stackalloc short[HuffmanLogMax + 1];
        int used = ZstdFse.ReadCounts(ip, ip + size, norm, WeightLogMax, out int tableLog);
        int tableSize = 1 << tableLog;
        Span<byte> symbol = stackalloc byte[tableSize], bits = stackalloc byte[tableSize];
        Span<ushort> nextBase = stackalloc ushort[tableSize];
        ZstdFse.BuildTable(norm, tableLog, symbol, bits, nextBase);
        var br = new ZstdBitReader(ip + used, size - used);
        uint s1 = br.Read(tableLog), s2 = br.Read(tableLog);
        br.Reload();
        int n = 0;
        const int limit = 255;
        while (true)
        {
            if (n > limit - 2) throw Corrupt("too many Huffman weights");
            weights[n++] = symbol[(int)s1];
            s1 = nextBase[(int)s1] + br.Read(bits[(int)s1]);
            br.Reload();
            if (br.Overflowed)
            {
                weights[n++] = symbol[(int)s2];
                break;
            }
            if (n > limit - 2) throw Corrupt("too many Huffman weights");
            weights[n++] = symbol[(int)s2];
            s2 = nextBase[(int)s2] + br.Read(bits[(int)s2]);
            br.Reload();
            if (br.Overflowed)
            {
                weights[n++] = symbol[(int)s1];
                break;
            }
        }
        return n;
    }

    private void BuildHuffmanTable(Span<byte> weights, int count)
    {
        Span<int> rankCount = stackalloc int[HuffmanLogMax + 1];
        uint total = 0;
        for (int s = 0; s < count; s++)
        {
            int w = weights[s];
            if (w > HuffmanLogMax) throw Corrupt($"Huffman weight {w} exceeds {HuffmanLogMax}");
            if (w > 0) total += 1u << (w - 1);
        }
        if (total == 0) throw Corrupt("Huffman weights are all zero");
        int maxBits = HighBit(total) + 1;
        if (maxBits > HuffmanLogMax) throw Corrupt($"Huffman codes longer than {HuffmanLogMax} bits");
        uint rest = (1u << maxBits) - total;
        if ((rest & (rest - 1)) != 0) throw Corrupt("Huffman weights do not form a complete code");
        if (count >= 256) throw Corrupt("too many Huffman symbols");
        weights[count] = (byte)(HighBit(rest) + 1);
        int symbols = count + 1;
        for (int s = 0; s < symbols; s++) rankCount[weights[s]]++;
        Span<int> start = stackalloc int[HuffmanLogMax + 2];
        int next = 0;
        for (int w = 1; w <= maxBits; w++)
        {
            start[w] = next;
            next += rankCount[w] << (w - 1);
        }
        ushort* table = _huffman;
        for (int s = 0; s < symbols; s++)
        {
            int w = weights[s];
            if (w == 0) continue;
            int length = 1 << (w - 1);
            ushort entry = (ushort)(s | (maxBits + 1 - w) << 8);
            new Span<ushort>(table + start[w], length).Fill(entry);
            start[w] += length;
        }
        _huffmanLog = maxBits;
    }

    private void DecodeHuffman4(byte* ip, byte* iend, byte* dst, int count)
    {
        if (iend - ip < 10) throw Corrupt("truncated four-stream Huffman literals");
        nint size1 = ip[0] | ip[1] << 8, size2 = ip[2] | ip[3] << 8, size3 = ip[4] | ip[5] << 8;
        byte* s1 = ip + 6, s2 = s1 + size1, s3 = s2 + size2, s4 = s3 + size3;
        if (s4 >= iend) throw Corrupt("Huffman jump table points past the literals");
        int segment = (count + 3) >> 2;
        if (count < 3 * segment) throw Corrupt("too few literals for four Huffman streams");
        byte* o1 = dst, o2 = o1 + segment, o3 = o2 + segment, o4 = o3 + segment, oend = dst + count;
        var b1 = new ZstdBitReader(s1, size1);
        var b2 = new ZstdBitReader(s2, size2);
        var b3 = new ZstdBitReader(s3, size3);
        var b4 = new ZstdBitReader(s4, (nint)(iend - s4));
        if (_huffmanLog <= 11) FastHuffman4(ref b1, ref b2, ref b3, ref b4, ref o1, ref o2, ref o3, ref o4, oend);
        DecodeHuffmanTail(ref b1, o1, dst + segment);
        DecodeHuffmanTail(ref b2, o2, dst + 2 * segment);
        DecodeHuffmanTail(ref b3, o3, dst + 3 * segment);
        DecodeHuffmanTail(ref b4, o4, oend);
    }

    /// <summary>
    /// Interleaved four-stream loop for codes of at most 11 bits. Each container holds its bits left-aligned with
    /// a marker bit below them, so the bits used since the last load are its trailing-zero count and no counter
    /// is needed. A load leaves at least 57 bits, enough for five codes; the iteration count is worked out in
    /// advance from how far each stream is from its start (at most 7 bytes per step) and from the room left in
    /// stream 4's segment (the shortest), so the inner loop runs without checks.
    /// </summary>
    private void FastHuffman4(ref ZstdBitReader r1, ref ZstdBitReader r2, ref ZstdBitReader r3, ref ZstdBitReader r4,
        ref byte* o1, ref byte* o2, ref byte* o3, ref byte* o4, byte* oend)
    {
        // Fresh readers of streams with at least 7 bytes before their position (so a full word can be loaded).
        if (r1.Consumed > 56 || r2.Consumed > 56 || r3.Consumed > 56 || r4.Consumed > 56
            || r1.Ptr - r1.Start < 7 || r2.Ptr - r2.Start < 7 || r3.Ptr - r3.Start < 7 || r4.Ptr - r4.Start < 7) return;
        ushort* table = _huffman;
        int shift = 64 - _huffmanLog;
        byte* o = o1;
        nint seg = (nint)(o2 - o1), seg2 = (nint)(o3 - o1), seg3 = (nint)(o4 - o1);
        byte* p1 = r1.Ptr, p2 = r2.Ptr, p3 = r3.Ptr, p4 = r4.Ptr;
        ulong b1 = (Unsafe.ReadUnaligned<ulong>(p1) | 1) << r1.Consumed;
        ulong b2 = (Unsafe.ReadUnaligned<ulong>(p2) | 1) << r2.Consumed;
        ulong b3 = (Unsafe.ReadUnaligned<ulong>(p3) | 1) << r3.Consumed;
        ulong b4 = (Unsafe.ReadUnaligned<ulong>(p4) | 1) << r4.Consumed;
        while (true)
        {
            nint steps = (nint)Math.Min(Math.Min((p1 - r1.Start) / 7, (p2 - r2.Start) / 7), Math.Min((p3 - r3.Start) / 7, (p4 - r4.Start) / 7));
            steps = Math.Min(steps, (nint)(oend - (o + seg3)) / 5);
            if (steps <= 0) break;
            do
            {
                int c1 = BitOperations.TrailingZeroCount(b1), c2 = BitOperations.TrailingZeroCount(b2);
                int c3 = BitOperations.TrailingZeroCount(b3), c4 = BitOperations.TrailingZeroCount(b4);
                p1 -= c1 >> 3;
                p2 -= c2 >> 3;
                p3 -= c3 >> 3;
                p4 -= c4 >> 3;
                b1 = (Unsafe.ReadUnaligned<ulong>(p1) | 1) << (c1 & 7);
                b2 = (Unsafe.ReadUnaligned<ulong>(p2) | 1) << (c2 & 7);
                b3 = (Unsafe.ReadUnaligned<ulong>(p3) | 1) << (c3 & 7);
                b4 = (Unsafe.ReadUnaligned<ulong>(p4) | 1) << (c4 & 7);
                uint e;
                e = table[b1 >> shift]; b1 <<= (int)(e >> 8); o[0] = (byte)e;
                e = table[b2 >> shift]; b2 <<= (int)(e >> 8); o[seg + 0] = (byte)e;
                e = table[b3 >> shift]; b3 <<= (int)(e >> 8); o[seg2 + 0] = (byte)e;
                e = table[b4 >> shift]; b4 <<= (int)(e >> 8); o[seg3 + 0] = (byte)e;
                e = table[b1 >> shift]; b1 <<= (int)(e >> 8); o[1] = (byte)e;
                e = table[b2 >> shift]; b2 <<= (int)(e >> 8); o[seg + 1] = (byte)e;
                e = table[b3 >> shift]; b3 <<= (int)(e >> 8); o[seg2 + 1] = (byte)e;
                e = table[b4 >> shift]; b4 <<= (int)(e >> 8); o[seg3 + 1] = (byte)e;
                e = table[b1 >> shift]; b1 <<= (int)(e >> 8); o[2] = (byte)e;
                e = table[b2 >> shift]; b2 <<= (int)(e >> 8); o[seg + 2] = (byte)e;
                e = table[b3 >> shift]; b3 <<= (int)(e >> 8); o[seg2 + 2] = (byte)e;
                e = table[b4 >> shift]; b4 <<= (int)(e >> 8); o[seg3 + 2] = (byte)e;
                e = table[b1 >> shift]; b1 <<= (int)(e >> 8); o[3] = (byte)e;
                e = table[b2 >> shift]; b2 <<= (int)(e >> 8); o[seg + 3] = (byte)e;
                e = table[b3 >> shift]; b3 <<= (int)(e >> 8); o[seg2 + 3] = (byte)e;
                e = table[b4 >> shift]; b4 <<= (int)(e >> 8); o[seg3 + 3] = (byte)e;
                e = table[b1 >> shift]; b1 <<= (int)(e >> 8); o[4] = (byte)e;
                e = table[b2 >> shift]; b2 <<= (int)(e >> 8); o[seg + 4] = (byte)e;
                e = table[b3 >> shift]; b3 <<= (int)(e >> 8); o[seg2 + 4] = (byte)e;
                e = table[b4 >> shift]; b4 <<= (int)(e >> 8); o[seg3 + 4] = (byte)e;
                o += 5;
            }
            while (--steps > 0);
        }
        r1 = Resume(r1, p1, b1);
        r2 = Resume(r2, p2, b2);
        r3 = Resume(r3, p3, b3);
        r4 = Resume(r4, p4, b4);
        nint done = (nint)(o - o1);
        o1 += done;
        o2 += done;
        o3 += done;
        o4 += done;
    }

    /// <summary>Back from the marker-bit form: the reader's word is reloaded and its used bits are the trailing zeros.</summary>
    private static ZstdBitReader Resume(ZstdBitReader reader, byte* ptr, ulong bits)
    {
        reader.Ptr = ptr;
        reader.Container = Unsafe.ReadUnaligned<ulong>(ptr);
        reader.Consumed = BitOperations.TrailingZeroCount(bits);
        return reader;
    }

    private void DecodeHuffmanStream(byte* ip, nint size, byte* op, byte* oend)
    {
        var br = new ZstdBitReader(ip, size);
        DecodeHuffmanTail(ref br, op, oend);
    }

    /// <summary>Decodes one Huffman stream from its current position to <paramref name="oend"/>, then checks it is used up.</summary>
    private void DecodeHuffmanTail(ref ZstdBitReader reader, byte* op, byte* oend)
    {
        ushort* table = _huffman;
        int shift = 64 - _huffmanLog;
        ulong bits = reader.Container;
        int consumed = reader.Consumed;
        byte* ptr = reader.Ptr, start = reader.Start;
        while (oend - op >= 4)
        {
            ZstdBitReader.Refill(ref bits, ref consumed, ref ptr, start);
            if (consumed > 64 - 4 * HuffmanLogMax) break;
            uint e0 = table[(bits << consumed) >> shift];
            consumed += (int)(e0 >> 8);
            uint e1 = table[(bits << consumed) >> shift];
            consumed += (int)(e1 >> 8);
            uint e2 = table[(bits << consumed) >> shift];
            consumed += (int)(e2 >> 8);
            uint e3 = table[(bits << consumed) >> shift];
            consumed += (int)(e3 >> 8);
            op[0] = (byte)e0;
            op[1] = (byte)e1;
            op[2] = (byte)e2;
            op[3] = (byte)e3;
            op += 4;
        }
        while (op < oend)
        {
            ZstdBitReader.Refill(ref bits, ref consumed, ref ptr, start);
            uint e = table[(bits << consumed) >> shift];
            consumed += (int)(e >> 8);
            *op++ = (byte)e;
        }
        if (ptr != start || consumed != 64) throw Corrupt("Huffman stream size does not match its literal count");
    }

    // ---------------------------------------------------------------- sequences

    private byte* DecodeSequences(byte* ip, byte* iend, int nbSeq, byte* op, byte* oend, byte* prefixStart, byte* lit, byte* litEnd)
    {
        // The bit reader lives in locals so that the JIT keeps it in registers across the loop.
        var reader = new ZstdBitReader(ip, (nint)(iend - ip));
        ulong bits = reader.Container;
        int consumed = reader.Consumed;
        byte* bp = reader.Ptr, bstart = reader.Start;
        ZstdSeqEntry* tables = _llOwn;
        uint llState = ZstdBitReader.Take(bits, ref consumed, _llLog);
        uint ofState = ZstdBitReader.Take(bits, ref consumed, _ofLog);
        uint mlState = ZstdBitReader.Take(bits, ref consumed, _mlLog);
        ZstdBitReader.Refill(ref bits, ref consumed, ref bp, bstart);
        nint rep1 = _rep1, rep2 = _rep2, rep3 = _rep3;
        byte* oendFast = oend - WildSlack;

        for (int left = nbSeq - 1; left >= 0; left--)
        {
            // Entries are read whole: BaseValue (bits 0-31), NextState (32-47), ExtraBits (48-55), StateBits (56-63).
            ulong llEntry = *(ulong*)(tables + llState);
            ulong mlEntry = *(ulong*)(tables + MatchLengthTableOffset + mlState);
            ulong ofEntry = *(ulong*)(tables + OffsetTableOffset + ofState);
            int ofBits = (byte)(ofEntry >> 48), mlBits = (byte)(mlEntry >> 48), llBits = (byte)(llEntry >> 48);
            nint offset;
            if (ofBits > 1)
            {
                offset = (nint)((uint)ofEntry + ZstdBitReader.Take(bits, ref consumed, ofBits)) - 3;
                rep3 = rep2;
                rep2 = rep1;
                rep1 = offset;
            }
            else
            {
                // Repeat offsets: code 0 is rep1, code 1 (one extra bit) rep2 or rep3; a zero literal length shifts
                // the meaning by one, the last step being rep1 - 1 (RFC 8878 §3.1.1.5).
                int k = ((uint)llEntry == 0 ? 1 : 0) + (ofBits == 0 ? 0 : 1 + (int)ZstdBitReader.Take(bits, ref consumed, 1));
                if (k == 0)
                {
                    offset = rep1;
                }
                else if (k == 1)
                {
                    offset = rep2;
                    rep2 = rep1;
                    rep1 = offset;
                }
                else
                {
                    offset = k == 2 ? rep3 : rep1 - 1;
                    rep3 = rep2;
                    rep2 = rep1;
                    rep1 = offset;
                }
            }
            nint matchLength = (nint)((uint)mlEntry + ZstdBitReader.Take(bits, ref consumed, mlBits));
            // After a refill at least 57 bits are there: offset + match bits (<= 47) fit, and so do literal
            // bits plus the three state updates (<= 42) unless all extra bits together exceed 30.
            if (ofBits + mlBits + llBits > 30) ZstdBitReader.Refill(ref bits, ref consumed, ref bp, bstart);
            nint litLength = (nint)((uint)llEntry + ZstdBitReader.Take(bits, ref consumed, llBits));
            if (left != 0)
            {
                llState = (uint)(ushort)(llEntry >> 32) + ZstdBitReader.Take(bits, ref consumed, (int)(llEntry >> 56));
                mlState = (uint)(ushort)(mlEntry >> 32) + ZstdBitReader.Take(bits, ref consumed, (int)(mlEntry >> 56));
                ofState = (uint)(ushort)(ofEntry >> 32) + ZstdBitReader.Take(bits, ref consumed, (int)(ofEntry >> 56));
                ZstdBitReader.Refill(ref bits, ref consumed, ref bp, bstart);
            }

            if (litLength > litEnd - lit) throw Corrupt("sequence uses more literals than the block holds");
            nint total = litLength + matchLength;
            if (total <= oendFast - op)
            {
                WildCopy(op, lit, litLength);
                op += litLength;
                lit += litLength;
                if ((nuint)(offset - 1) >= (nuint)(op - prefixStart)) throw BadOffset(offset, op - prefixStart);
                byte* match = op - offset;
                if (offset >= 16) WildCopy(op, match, matchLength);
                else OverlapCopy(op, match, offset, matchLength);
                op += matchLength;
            }
            else
            {
                if (total > oendFast + WildSlack - op) throw TooLarge(oendFast + WildSlack, prefixStart);
                Buffer.MemoryCopy(lit, op, litLength, litLength);
                op += litLength;
                lit += litLength;
                if ((nuint)(offset - 1) >= (nuint)(op - prefixStart)) throw BadOffset(offset, op - prefixStart);
                LzCopy.Match(op, (nuint)offset, (nuint)matchLength, oendFast + WildSlack);
                op += matchLength;
            }
        }
        if (bp != bstart || consumed != 64) throw Corrupt("sequence bit stream size does not match its sequence count");
        _rep1 = rep1;
        _rep2 = rep2;
        _rep3 = rep3;
        nint rest = (nint)(litEnd - lit);
        if (rest > oendFast + WildSlack - op) throw TooLarge(oendFast + WildSlack, prefixStart);
        Buffer.MemoryCopy(lit, op, rest, rest);
        return op + rest;
    }

    private static CorruptDataException BadOffset(nint offset, long available) =>
        Corrupt($"match offset {offset} reaches before the start of the frame ({available} bytes decoded)");

    // The fast-path copies below differ from LzCopy's on purpose: zstd blocks hold many short sequences and long
    // small-offset runs, where 32-byte steps and copying from a whole number of periods back measured faster.

    /// <summary>
    /// Copies 16 bytes, then 32 per step as two 16-byte moves in order, which stays correct for overlapping
    /// source and destination at least 16 bytes apart. May write up to 31 bytes past <paramref name="length"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WildCopy(byte* dst, byte* src, nint length)
    {
        Vector128.Store(Vector128.Load(src), dst);
        if (length <= 16) return;
        byte* end = dst + length;
        dst += 16;
        src += 16;
        do
        {
            Vector128.Store(Vector128.Load(src), dst);
            Vector128.Store(Vector128.Load(src + 16), dst + 16);
            dst += 32;
            src += 32;
        }
        while (dst < end);
    }

    /// <summary>
    /// Match copy for offsets below 16, where source and destination overlap: the first 8 bytes are spread so the
    /// distance becomes at least 8, the next 8 follow; the rest is copied from a whole number of periods back
    /// (at least 16 bytes), so wide moves apply. May write up to 31 bytes past the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OverlapCopy(byte* op, byte* match, nint offset, nint length)
    {
        byte* end = op + length;
        if (offset < 8)
        {
            op[0] = match[0];
            op[1] = match[1];
            op[2] = match[2];
            op[3] = match[3];
            match += Spread32[(int)offset];
            Unsafe.WriteUnaligned(op + 4, Unsafe.ReadUnaligned<uint>(match));
            match -= Spread64[(int)offset];
        }
        else
        {
            Unsafe.WriteUnaligned(op, Unsafe.ReadUnaligned<ulong>(match));
        }
        Unsafe.WriteUnaligned(op + 8, Unsafe.ReadUnaligned<ulong>(match + 8));
        if (length <= 16) return;
        op += 16;
        nint period = offset * ((16 + offset - 1) / offset);
        WildCopy(op, op - period, (nint)(end - op));
    }

    private static ReadOnlySpan<byte> Spread32 => [0, 1, 2, 1, 4, 4, 4, 4];
    private static ReadOnlySpan<byte> Spread64 => [8, 8, 8, 7, 8, 9, 10, 11];
}

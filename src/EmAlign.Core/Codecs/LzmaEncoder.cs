using System.Buffers;
using System.Buffers.Binary;

namespace EmAlign.Codecs;

/// <summary>
/// LZMA2 encoder (lc=3, lp=0, pb=2). Parsing is greedy with one step of lazy evaluation: at each
/// position the longest repeat of the four last distances and the longest hash-chain match are
/// priced with the adaptive model's current probabilities against coding the same bytes as
/// literals; the one saving more bits wins, a match is deferred when the next position saves more,
/// and a lone byte is a literal or a one-byte repeat, whichever is cheaper. (xz's own encoder
/// searches for an optimal parse instead; on noisy EM sections the two end up within about a percent.)
/// The output is cut into LZMA2 chunks (at most 2 MiB in, 64 KiB out); a chunk that does not
/// shrink is stored instead.
/// </summary>
internal sealed class LzmaEncoder
{
    private const int Lc = 3, Lp = 0, Pb = 2, PbMask = (1 << Pb) - 1;
    public const byte PropertiesByte = (Pb * 5 + Lp) * 9 + Lc;
    private const int ChunkInMax = 1 << 21, ChunkOutMax = 1 << 16, StoredMax = 1 << 16;
    // Room left in a chunk before each symbol: one symbol never codes to more than a few dozen bytes.
    private const int SymbolOutReserve = 256;

    private static readonly int[] PriceTable = BuildPrices();

    private readonly ushort[] _probs = new ushort[LzmaModel.ProbCount(Lc, Lp)];
    private readonly LzmaRangeEncoder _rc = new(ChunkOutMax + 2 * SymbolOutReserve);
    private int _state;
    private uint _rep0, _rep1, _rep2, _rep3;
    private readonly int _niceLen;
    private readonly bool _lazy;

    private LzmaEncoder(int niceLen, bool lazy)
    {
        _niceLen = niceLen;
        _lazy = lazy;
    }

    /// <summary>xz-style presets 0 (fast) to 9 (thorough): dictionary size, chain depth, nice length, lazy matching.</summary>
    public static (int Dictionary, int Depth, int NiceLength, bool Lazy) Preset(int preset) => preset switch
    {
        0 => (1 << 18, 4, 32, false),
        1 => (1 << 20, 8, 32, false),
        2 => (1 << 21, 12, 48, true),
        3 => (1 << 22, 16, 64, true),
        4 => (1 << 22, 24, 64, true),
        5 => (1 << 23, 32, 96, true),
        6 => (1 << 23, 48, 128, true),
        7 => (1 << 24, 64, 192, true),
        8 => (1 << 25, 128, 273, true),
        _ => (1 << 26, 256, 273, true),
    };

    /// <summary>
    /// The dictionary size to declare: the preset's, but no larger than the input needs (at least 4 KiB,
    /// rounded to a size the one-byte LZMA2 property can express), so readers allocate little for small chunks.
    /// </summary>
    public static int DictionarySizeFor(int inputLength, int presetDictionary)
    {
        for (int b = 0; b < 40; b++)
        {
            int size = (2 | (b & 1)) << (b / 2 + 11);
            if (size >= presetDictionary || size >= inputLength) return size;
        }
        return presetDictionary;
    }

    /// <summary>The LZMA2 property byte for a dictionary size produced by <see cref="DictionarySizeFor"/>.</summary>
    public static byte DictionaryByte(int dictionarySize)
    {
        byte b = 0;
        while (((2 | (b & 1)) << (b / 2 + 11)) < dictionarySize) b++;
        return b;
    }

    /// <summary>Writes <paramref name="data"/> as an LZMA2 stream (chunks and the 0x00 end marker) to <paramref name="output"/>.</summary>
    public static void EncodeLzma2(ReadOnlySpan<byte> data, int preset, int dictionarySize, ArrayBufferWriter<byte> output)
    {
        var (_, depth, nice, lazy) = Preset(preset);
        var enc = new LzmaEncoder(nice, lazy);
        using var mf = new LzmaMatchFinder(data.Length, dictionarySize, depth);
        var parse = new ParseState();
        bool first = true, needProps = true, needStateReset = true;
        int pos = 0;
        while (pos < data.Length)
        {
            int chunkStart = pos;
            if (needStateReset) enc.ResetState();
            enc._rc.Reset();
            while (pos < data.Length && pos - chunkStart <= ChunkInMax - LzmaModel.MaxMatch && enc._rc.PendingSize <= ChunkOutMax - SymbolOutReserve)
                pos = enc.EncodeStep(data, pos, mf, ref parse);
            enc._rc.Flush();
            int unpacked = pos - chunkStart;
            var packed = enc._rc.Written;
            if (packed.Length + 2 >= unpacked)
            {
                // Stored chunks; the decoder keeps its model, ours moved on, so the next LZMA chunk resets both.
                for (int p = chunkStart; p < pos; p += StoredMax)
                {
                    int size = Math.Min(StoredMax, pos - p);
                    var head = output.GetSpan(3);
                    head[0] = (byte)(first ? 0x01 : 0x02);
                    BinaryPrimitives.WriteUInt16BigEndian(head[1..], (ushort)(size - 1));
                    output.Advance(3);
                    output.Write(data.Slice(p, size));
                    if (first) needProps = true;
                    first = false;
                }
                needStateReset = true;
                continue;
            }
            int control = first ? 0xE0 : needProps ? 0xC0 : needStateReset ? 0xA0 : 0x80;
            var h = output.GetSpan(6);
            h[0] = (byte)(control | ((unpacked - 1) >> 16));
            BinaryPrimitives.WriteUInt16BigEndian(h[1..], (ushort)(unpacked - 1));
            BinaryPrimitives.WriteUInt16BigEndian(h[3..], (ushort)(packed.Length - 1));
            h[5] = PropertiesByte;
            output.Advance(control >= 0xC0 ? 6 : 5);
            output.Write(packed);
            first = needProps = needStateReset = false;
        }
        output.GetSpan(1)[0] = 0x00;
        output.Advance(1);
    }

    private void ResetState()
    {
        _probs.AsSpan().Fill(LzmaModel.ProbInit);
        _state = 0;
        _rep0 = _rep1 = _rep2 = _rep3 = 0;
    }

    /// <summary>What the parser knows beyond the current position: the next unindexed position and a looked-ahead match.</summary>
    private struct ParseState
    {
        public int NextToIndex;
        public int AheadPos;
        public int AheadLen;
        public uint AheadDist;
    }

    /// <summary>
    /// Encodes one symbol at <paramref name="pos"/> and returns the position after it. Candidates are
    /// scored by the bits they save over coding the same bytes as literals, priced with the current
    /// probabilities; a match is deferred by one byte when the next position saves more.
    /// </summary>
    private int EncodeStep(ReadOnlySpan<byte> data, int pos, LzmaMatchFinder mf, ref ParseState ps)
    {
        int maxLen = Math.Min(LzmaModel.MaxMatch, data.Length - pos);
        int mainLen;
        uint mainDist;
        if (ps.AheadPos == pos && ps.NextToIndex == pos + 1)
        {
            mainLen = ps.AheadLen;
            mainDist = ps.AheadDist;
        }
        else
        {
            mainLen = mf.FindAndInsert(data, pos, maxLen, _niceLen, out mainDist);
            ps.NextToIndex = pos + 1;
        }
        int repLen = LongestRep(data, pos, maxLen, out int repIndex);

        int len;
        if (repLen >= _niceLen)
        {
            EncodeRep(pos, repIndex, repLen);
            len = repLen;
        }
        else if (mainLen >= _niceLen)
        {
            EncodeMatch(pos, mainLen, mainDist);
            len = mainLen;
        }
        else
        {
            Span<int> literals = stackalloc int[PricedRun + 1];
            LiteralRunPrices(data, pos, _state, Math.Max(repLen, mainLen), literals);
            int repGain = repLen >= 2 ? RunPrice(literals, repLen) - RepPrice(pos, _state, repIndex, repLen) : 0;
            int mainGain = mainLen >= 3 ? RunPrice(literals, mainLen) - MatchPrice(pos, _state, mainLen, mainDist) : 0;
            if (repGain <= 0 && mainGain <= 0)
            {
                EncodeLiteralOrShortRep(data, pos);
                return pos + 1;
            }
            if (repGain >= mainGain)
            {
                EncodeRep(pos, repIndex, repLen);
                len = repLen;
            }
            else
            {
                if (_lazy && pos + 1 < data.Length)
                {
                    int nextMax = Math.Min(LzmaModel.MaxMatch, data.Length - pos - 1);
                    int nextLen = mf.FindAndInsert(data, pos + 1, nextMax, _niceLen, out uint nextDist);
                    ps.NextToIndex = pos + 2;
                    ps.AheadPos = pos + 1;
                    ps.AheadLen = nextLen;
                    ps.AheadDist = nextDist;
                    int nextRepLen = LongestRep(data, pos + 1, nextMax, out int nextRepIndex);
                    if (nextLen > mainLen || nextRepLen > 1)
                    {
                        int nextState = LzmaModel.AfterLiteral(_state);
                        LiteralRunPrices(data, pos + 1, nextState, Math.Max(nextLen, nextRepLen), literals);
                        int nextGain = 0;
                        if (nextLen >= 3) nextGain = RunPrice(literals, nextLen) - MatchPrice(pos + 1, nextState, nextLen, nextDist);
                        if (nextRepLen >= 2) nextGain = Math.Max(nextGain, RunPrice(literals, nextRepLen) - RepPrice(pos + 1, nextState, nextRepIndex, nextRepLen));
                        if (nextGain > mainGain)
                        {
                            EncodeLiteralOrShortRep(data, pos);
                            return pos + 1;
                        }
                    }
                }
                EncodeMatch(pos, mainLen, mainDist);
                len = mainLen;
            }
        }
        for (int p = ps.NextToIndex; p < pos + len; p++) mf.Insert(data, p);
        ps.NextToIndex = Math.Max(ps.NextToIndex, pos + len);
        return pos + len;
    }

    /// <summary>Bytes priced one by one as literals; longer runs are extrapolated from the average.</summary>
    private const int PricedRun = 32;

    /// <summary>cum[k] = price of coding the k bytes from <paramref name="pos"/> as literals, starting in <paramref name="state"/>.</summary>
    private void LiteralRunPrices(ReadOnlySpan<byte> data, int pos, int state, int count, Span<int> cum)
    {
        count = Math.Min(count, PricedRun);
        cum[0] = 0;
        for (int k = 0; k < count; k++)
        {
            int p = pos + k;
            cum[k + 1] = cum[k] + Price0(_probs[LzmaModel.IsMatch + (state << 4) + (p & PbMask)]) + LiteralPrice(data, p, state);
            state = LzmaModel.AfterLiteral(state);
        }
    }

    private static int RunPrice(ReadOnlySpan<int> cum, int len) =>
        len <= PricedRun ? cum[len] : (int)((long)cum[PricedRun] * len / PricedRun);

    private int MatchPrice(int pos, int state, int len, uint dist)
    {
        int posState = pos & PbMask;
        int price = Price1(_probs[LzmaModel.IsMatch + (state << 4) + posState]) + Price0(_probs[LzmaModel.IsRep + state])
            + LengthPrice(LzmaModel.LenCoder, len - LzmaModel.MinMatch, posState);
        int lenState = Math.Min(len - LzmaModel.MinMatch, 3);
        int slot = LzmaModel.DistanceSlot(dist);
        price += TreePrice(_probs.AsSpan(LzmaModel.PosSlot + lenState * 64, 64), 6, slot);
        if (slot >= 4)
        {
            int footer = (slot >> 1) - 1;
            uint baseDist = (uint)(2 | (slot & 1)) << footer;
            int reduced = (int)(dist - baseDist);
            if (slot < LzmaModel.EndPosModelIndex)
                price += ReverseTreePrice(_probs.AsSpan(LzmaModel.SpecPos + (int)baseDist - slot), footer, reduced);
            else
                price += ((footer - LzmaModel.AlignBits) << 4) + ReverseTreePrice(_probs.AsSpan(LzmaModel.Align, 16), LzmaModel.AlignBits, reduced & 15);
        }
        return price;
    }

    private int RepPrice(int pos, int state, int index, int len)
    {
        int posState = pos & PbMask;
        int price = Price1(_probs[LzmaModel.IsMatch + (state << 4) + posState]) + Price1(_probs[LzmaModel.IsRep + state]);
        if (index == 0)
            price += Price0(_probs[LzmaModel.IsRepG0 + state]) + Price1(_probs[LzmaModel.IsRep0Long + (state << 4) + posState]);
        else
        {
            price += Price1(_probs[LzmaModel.IsRepG0 + state]);
            price += index == 1 ? Price0(_probs[LzmaModel.IsRepG1 + state])
                : Price1(_probs[LzmaModel.IsRepG1 + state]) + Price(_probs[LzmaModel.IsRepG2 + state], index - 2);
        }
        return price + LengthPrice(LzmaModel.RepLenCoder, len - LzmaModel.MinMatch, posState);
    }

    private int LengthPrice(int coder, int len, int posState)
    {
        var lc = _probs.AsSpan(coder, LzmaModel.LenCoderSize);
        if (len < 8) return Price0(lc[LzmaModel.LenChoice]) + TreePrice(lc.Slice(LzmaModel.LenLow + posState * 8, 8), 3, len);
        int price = Price1(lc[LzmaModel.LenChoice]);
        if (len < 16) return price + Price0(lc[LzmaModel.LenChoice2]) + TreePrice(lc.Slice(LzmaModel.LenMid + posState * 8, 8), 3, len - 8);
        return price + Price1(lc[LzmaModel.LenChoice2]) + TreePrice(lc.Slice(LzmaModel.LenHigh, 256), 8, len - 16);
    }

    private static int TreePrice(ReadOnlySpan<ushort> probs, int bits, int symbol)
    {
        int m = 1, price = 0;
        for (int i = bits - 1; i >= 0; i--)
        {
            int bit = (symbol >> i) & 1;
            price += Price(probs[m], bit);
            m = (m << 1) | bit;
        }
        return price;
    }

    private static int ReverseTreePrice(ReadOnlySpan<ushort> probs, int bits, int symbol)
    {
        int m = 1, price = 0;
        for (int i = 0; i < bits; i++)
        {
            int bit = (symbol >> i) & 1;
            price += Price(probs[m], bit);
            m = (m << 1) | bit;
        }
        return price;
    }

    private int LongestRep(ReadOnlySpan<byte> data, int pos, int maxLen, out int index)
    {
        index = 0;
        if (maxLen < 2) return 0;
        int best = 0;
        var cur = data.Slice(pos, maxLen);
        for (int i = 0; i < 4; i++)
        {
            uint d = i switch { 0 => _rep0, 1 => _rep1, 2 => _rep2, _ => _rep3 };
            long from = pos - (long)d - 1;
            if (from < 0 || data[(int)from] != cur[0] || data[(int)from + 1] != cur[1]) continue;
            int len = cur.CommonPrefixLength(data.Slice((int)from, maxLen));
            if (len > best)
            {
                best = len;
                index = i;
            }
        }
        return best;
    }

    private void EncodeLiteralOrShortRep(ReadOnlySpan<byte> data, int pos)
    {
        int posState = pos & PbMask;
        long from = pos - (long)_rep0 - 1;
        int state = _state;
        if (from >= 0 && data[(int)from] == data[pos])
        {
            int shortRep = Price1(_probs[LzmaModel.IsMatch + (state << 4) + posState]) + Price1(_probs[LzmaModel.IsRep + state])
                + Price0(_probs[LzmaModel.IsRepG0 + state]) + Price0(_probs[LzmaModel.IsRep0Long + (state << 4) + posState]);
            int literal = Price0(_probs[LzmaModel.IsMatch + (state << 4) + posState]) + LiteralPrice(data, pos, state);
            if (shortRep <= literal)
            {
                _rc.Bit(ref _probs[LzmaModel.IsMatch + (state << 4) + posState], 1);
                _rc.Bit(ref _probs[LzmaModel.IsRep + state], 1);
                _rc.Bit(ref _probs[LzmaModel.IsRepG0 + state], 0);
                _rc.Bit(ref _probs[LzmaModel.IsRep0Long + (state << 4) + posState], 0);
                _state = LzmaModel.AfterShortRep(state);
                return;
            }
        }
        _rc.Bit(ref _probs[LzmaModel.IsMatch + (state << 4) + posState], 0);
        var lit = _probs.AsSpan(LzmaModel.LiteralBase(pos, pos > 0 ? data[pos - 1] : 0, Lc, 0), 0x300);
        int b = data[pos];
        if (state < 7) _rc.Tree(lit, 8, b);
        else
        {
            int matchByte = data[pos - (int)_rep0 - 1], sym = 1;
            bool matched = true;
            for (int i = 7; i >= 0; i--)
            {
                int bit = (b >> i) & 1;
                if (matched)
                {
                    int matchBit = (matchByte >> i) & 1;
                    _rc.Bit(ref lit[0x100 + (matchBit << 8) + sym], bit);
                    matched = matchBit == bit;
                }
                else _rc.Bit(ref lit[sym], bit);
                sym = (sym << 1) | bit;
            }
        }
        _state = LzmaModel.AfterLiteral(state);
    }

    private int LiteralPrice(ReadOnlySpan<byte> data, int pos, int state)
    {
        var lit = _probs.AsSpan(LzmaModel.LiteralBase(pos, pos > 0 ? data[pos - 1] : 0, Lc, 0), 0x300);
        int b = data[pos], sym = 1, price = 0;
        bool matched = state >= 7;
        int matchByte = matched ? data[pos - (int)_rep0 - 1] : 0;
        for (int i = 7; i >= 0; i--)
        {
            int bit = (b >> i) & 1;
            if (matched)
            {
                int matchBit = (matchByte >> i) & 1;
                price += Price(lit[0x100 + (matchBit << 8) + sym], bit);
                matched = matchBit == bit;
            }
            else price += Price(lit[sym], bit);
            sym = (sym << 1) | bit;
        }
        return price;
    }

    private void EncodeMatch(int pos, int len, uint dist)
    {
        int posState = pos & PbMask, state = _state;
        _rc.Bit(ref _probs[LzmaModel.IsMatch + (state << 4) + posState], 1);
        _rc.Bit(ref _probs[LzmaModel.IsRep + state], 0);
        EncodeLength(LzmaModel.LenCoder, len - LzmaModel.MinMatch, posState);
        _state = LzmaModel.AfterMatch(state);

        int lenState = Math.Min(len - LzmaModel.MinMatch, 3);
        int slot = LzmaModel.DistanceSlot(dist);
        _rc.Tree(_probs.AsSpan(LzmaModel.PosSlot + lenState * 64, 64), 6, slot);
        if (slot >= 4)
        {
            int footer = (slot >> 1) - 1;
            uint baseDist = (uint)(2 | (slot & 1)) << footer;
            uint reduced = dist - baseDist;
            if (slot < LzmaModel.EndPosModelIndex)
                _rc.ReverseTree(_probs.AsSpan(LzmaModel.SpecPos + (int)baseDist - slot), footer, (int)reduced);
            else
            {
                _rc.Direct(reduced >> LzmaModel.AlignBits, footer - LzmaModel.AlignBits);
                _rc.ReverseTree(_probs.AsSpan(LzmaModel.Align, 1 << LzmaModel.AlignBits), LzmaModel.AlignBits, (int)(reduced & 15));
            }
        }
        _rep3 = _rep2;
        _rep2 = _rep1;
        _rep1 = _rep0;
        _rep0 = dist;
    }

    private void EncodeRep(int pos, int index, int len)
    {
        int posState = pos & PbMask, state = _state;
        _rc.Bit(ref _probs[LzmaModel.IsMatch + (state << 4) + posState], 1);
        _rc.Bit(ref _probs[LzmaModel.IsRep + state], 1);
        if (index == 0)
        {
            _rc.Bit(ref _probs[LzmaModel.IsRepG0 + state], 0);
            _rc.Bit(ref _probs[LzmaModel.IsRep0Long + (state << 4) + posState], 1);
        }
        else
        {
            _rc.Bit(ref _probs[LzmaModel.IsRepG0 + state], 1);
            uint dist;
            if (index == 1)
            {
                _rc.Bit(ref _probs[LzmaModel.IsRepG1 + state], 0);
                dist = _rep1;
            }
            else
            {
                _rc.Bit(ref _probs[LzmaModel.IsRepG1 + state], 1);
                _rc.Bit(ref _probs[LzmaModel.IsRepG2 + state], index - 2);
                if (index == 3)
                {
                    dist = _rep3;
                    _rep3 = _rep2;
                }
                else dist = _rep2;
                _rep2 = _rep1;
            }
            _rep1 = _rep0;
            _rep0 = dist;
        }
        EncodeLength(LzmaModel.RepLenCoder, len - LzmaModel.MinMatch, posState);
        _state = LzmaModel.AfterRep(state);
    }

    private void EncodeLength(int coder, int len, int posState)
    {
        var lc = _probs.AsSpan(coder, LzmaModel.LenCoderSize);
        if (len < 8)
        {
            _rc.Bit(ref lc[LzmaModel.LenChoice], 0);
            _rc.Tree(lc.Slice(LzmaModel.LenLow + posState * 8, 8), 3, len);
        }
        else if (len < 16)
        {
            _rc.Bit(ref lc[LzmaModel.LenChoice], 1);
            _rc.Bit(ref lc[LzmaModel.LenChoice2], 0);
            _rc.Tree(lc.Slice(LzmaModel.LenMid + posState * 8, 8), 3, len - 8);
        }
        else
        {
            _rc.Bit(ref lc[LzmaModel.LenChoice], 1);
            _rc.Bit(ref lc[LzmaModel.LenChoice2], 1);
            _rc.Tree(lc.Slice(LzmaModel.LenHigh, 256), 8, len - 16);
        }
    }

    /// <summary>Cost in 1/16 bit of coding a 0 with a probability of prob/2048, indexed by prob / 16.</summary>
    private static int[] BuildPrices()
    {
        var t = new int[128];
        for (int i = 0; i < t.Length; i++) t[i] = (int)Math.Round(-Math.Log2((i * 16 + 8) / 2048.0) * 16);
        return t;
    }

    private static int Price0(ushort prob) => PriceTable[prob >> 4];

    private static int Price1(ushort prob) => PriceTable[(2048 - prob) >> 4];

    private static int Price(ushort prob, int bit) => bit == 0 ? Price0(prob) : Price1(prob);
}

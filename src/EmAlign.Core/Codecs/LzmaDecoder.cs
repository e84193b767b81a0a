using EmAlign.Diagnostics;

namespace EmAlign.Codecs;

/// <summary>
/// LZMA2 decoder writing straight into the caller's buffer, which doubles as the dictionary: a
/// chunk's declared size is checked against the space left before anything is written, and match
/// distances are checked against the bytes decoded since the last dictionary reset.
/// LZMA2 chunks: 0x00 end; 0x01/0x02 stored (with/without dictionary reset); 0x80-0xFF LZMA data
/// with bits 5-6 saying what to reset (nothing, state, state + properties, everything).
/// </summary>
internal sealed class LzmaDecoder
{
    private ushort[] _probs = [];
    private int _lc, _lp, _pb;
    private int _state;
    private uint _rep0, _rep1, _rep2, _rep3;

    /// <summary>
    /// Decodes the LZMA2 stream starting at <paramref name="inPos"/> (advanced past its end marker)
    /// into <paramref name="dst"/> from <paramref name="outPos"/>; returns the new output position.
    /// </summary>
    public int DecodeLzma2(ReadOnlySpan<byte> src, ref int inPos, Span<byte> dst, int outPos)
    {
        bool needDictReset = true, needProps = true;
        int dictStart = outPos;
        while (true)
        {
            if (inPos >= src.Length) throw Truncated();
            int control = src[inPos++];
            if (control == 0x00) return outPos;
            if (control == 0x01 || control >= 0xE0)
            {
                dictStart = outPos;
                needDictReset = false;
                needProps = true;
            }
            else if (needDictReset) throw new CorruptDataException($"LZMA2 stream starts with chunk type 0x{control:X2} instead of a dictionary reset.");

            if (control >= 0x80)
            {
                if (inPos + 4 > src.Length) throw Truncated();
                int unpacked = ((control & 0x1F) << 16) + (src[inPos] << 8) + src[inPos + 1] + 1;
                int packed = (src[inPos + 2] << 8) + src[inPos + 3] + 1;
                inPos += 4;
                if (control >= 0xC0)
                {
                    if (inPos >= src.Length) throw Truncated();
                    byte props = src[inPos++];
                    if (!LzmaModel.TryParseProperties(props, out _lc, out _lp, out _pb) || _lc + _lp > 4)
                        throw new CorruptDataException($"LZMA2 properties byte 0x{props:X2} is invalid (lc + lp must be at most 4).");
                    needProps = false;
                    ResetState();
                }
                else if (needProps) throw new CorruptDataException($"LZMA2 chunk type 0x{control:X2} comes before any properties.");
                else if (control >= 0xA0) ResetState();
                if (unpacked > dst.Length - outPos) throw TooLarge(dst.Length);
                if (packed > src.Length - inPos) throw Truncated();
                DecodeChunk(src.Slice(inPos, packed), dst, outPos, outPos + unpacked, dictStart);
                inPos += packed;
                outPos += unpacked;
            }
            else if (control <= 0x02)
            {
                if (inPos + 2 > src.Length) throw Truncated();
                int size = (src[inPos] << 8) + src[inPos + 1] + 1;
                inPos += 2;
                if (size > dst.Length - outPos) throw TooLarge(dst.Length);
                if (size > src.Length - inPos) throw Truncated();
                src.Slice(inPos, size).CopyTo(dst[outPos..]);
                inPos += size;
                outPos += size;
            }
            else throw new CorruptDataException($"LZMA2 chunk type 0x{control:X2} is invalid.");
        }
    }

    private void ResetState()
    {
        int count = LzmaModel.ProbCount(_lc, _lp);
        if (_probs.Length != count) _probs = new ushort[count];
        _probs.AsSpan().Fill(LzmaModel.ProbInit);
        _state = 0;
        _rep0 = _rep1 = _rep2 = _rep3 = 0;
    }

    /// <summary>Decodes one LZMA chunk producing exactly dst[pos..end).</summary>
    private void DecodeChunk(ReadOnlySpan<byte> input, Span<byte> dst, int pos, int end, int dictStart)
    {
        var rc = new LzmaRangeDecoder(input);
        if (!rc.Valid) throw new CorruptDataException("LZMA2 chunk does not start with a zero byte.");
        var probs = _probs.AsSpan();
        int lc = _lc, lpMask = (1 << _lp) - 1, pbMask = (1 << _pb) - 1;
        int state = _state;
        uint rep0 = _rep0, rep1 = _rep1, rep2 = _rep2, rep3 = _rep3;

        while (pos < end)
        {
            int rel = pos - dictStart;
            int posState = rel & pbMask;
            if (rc.Bit(ref probs[LzmaModel.IsMatch + (state << 4) + posState]) == 0)
            {
                int prev = rel > 0 ? dst[pos - 1] : 0;
                var lit = probs.Slice(LzmaModel.LiteralBase(rel, prev, lc, lpMask), 0x300);
                int sym;
                if (state < 7) sym = rc.Literal(lit);
                else
                {
                    // Matched literal: follow the byte at rep0 while its bits agree.
                    int matchByte = dst[pos - (int)rep0 - 1];
                    sym = 1;
                    do
                    {
                        int matchBit = (matchByte >> 7) & 1;
                        matchByte <<= 1;
                        int bit = rc.Bit(ref lit[0x100 + (matchBit << 8) + sym]);
                        sym = (sym << 1) | bit;
                        if (matchBit != bit)
                        {
                            while (sym < 0x100) sym = (sym << 1) | rc.Bit(ref lit[sym]);
                            break;
                        }
                    }
                    while (sym < 0x100);
                }
                dst[pos++] = (byte)sym;
                state = LzmaModel.AfterLiteral(state);
                continue;
            }

            int len;
            if (rc.Bit(ref probs[LzmaModel.IsRep + state]) == 0)
            {
                len = DecodeLength(ref rc, probs.Slice(LzmaModel.LenCoder, LzmaModel.LenCoderSize), posState);
                state = LzmaModel.AfterMatch(state);
                uint dist = DecodeDistance(ref rc, probs, len);
                if (dist == 0xFFFFFFFFu) throw new CorruptDataException("LZMA2 chunk contains an end marker, which LZMA2 does not allow.");
                rep3 = rep2;
                rep2 = rep1;
                rep1 = rep0;
                rep0 = dist;
            }
            else
            {
                if (rc.Bit(ref probs[LzmaModel.IsRepG0 + state]) == 0)
                {
                    if (rc.Bit(ref probs[LzmaModel.IsRep0Long + (state << 4) + posState]) == 0)
                    {
                        if (rep0 >= (uint)rel) throw BadDistance(rep0, rel);
                        state = LzmaModel.AfterShortRep(state);
                        dst[pos] = dst[pos - (int)rep0 - 1];
                        pos++;
                        continue;
                    }
                }
                else
                {
                    uint dist;
                    if (rc.Bit(ref probs[LzmaModel.IsRepG1 + state]) == 0) dist = rep1;
                    else
                    {
                        if (rc.Bit(ref probs[LzmaModel.IsRepG2 + state]) == 0) dist = rep2;
                        else
                        {
                            dist = rep3;
                            rep3 = rep2;
                        }
                        rep2 = rep1;
                    }
                    rep1 = rep0;
                    rep0 = dist;
                }
                len = DecodeLength(ref rc, probs.Slice(LzmaModel.RepLenCoder, LzmaModel.LenCoderSize), posState);
                state = LzmaModel.AfterRep(state);
            }

            len += LzmaModel.MinMatch;
            if (rep0 >= (uint)rel) throw BadDistance(rep0, rel);
            if (len > end - pos) throw new CorruptDataException("LZMA2 match runs past the end of its chunk.");
            int from = pos - (int)rep0 - 1;
            if (rep0 + 1 >= (uint)len) dst.Slice(from, len).CopyTo(dst.Slice(pos, len));
            else if (rep0 == 0) dst.Slice(pos, len).Fill(dst[from]);
            else
                for (int i = 0; i < len; i++) dst[pos + i] = dst[from + i];
            pos += len;
        }

        if (rc.Position != input.Length || rc.Code != 0)
            throw new CorruptDataException($"LZMA2 chunk of {input.Length} compressed bytes is corrupt (decoding ended at byte {rc.Position}).");
        _state = state;
        _rep0 = rep0;
        _rep1 = rep1;
        _rep2 = rep2;
        _rep3 = rep3;
    }

    /// <summary>Returns the match length minus 2 (0 to 271).</summary>
    private static int DecodeLength(ref LzmaRangeDecoder rc, Span<ushort> lc, int posState)
    {
        if (rc.Bit(ref lc[LzmaModel.LenChoice]) == 0) return rc.Tree(lc.Slice(LzmaModel.LenLow + posState * 8, 8), 3);
        if (rc.Bit(ref lc[LzmaModel.LenChoice2]) == 0) return 8 + rc.Tree(lc.Slice(LzmaModel.LenMid + posState * 8, 8), 3);
        return 16 + rc.Tree(lc.Slice(LzmaModel.LenHigh, 256), 8);
    }

    private static uint DecodeDistance(ref LzmaRangeDecoder rc, Span<ushort> probs, int len)
    {
        int lenState = Math.Min(len, 3);
        int slot = rc.Tree(probs.Slice(LzmaModel.PosSlot + lenState * 64, 64), 6);
        if (slot < 4) return (uint)slot;
        int footer = (slot >> 1) - 1;
        uint dist = (uint)(2 | (slot & 1)) << footer;
        if (slot < LzmaModel.EndPosModelIndex)
            return dist + (uint)rc.ReverseTree(probs.Slice(LzmaModel.SpecPos + (int)dist - slot), footer);
        dist += rc.Direct(footer - LzmaModel.AlignBits) << LzmaModel.AlignBits;
        return dist + (uint)rc.ReverseTree(probs.Slice(LzmaModel.Align, 1 << LzmaModel.AlignBits), LzmaModel.AlignBits);
    }

    private static CorruptDataException BadDistance(uint rep0, int available) =>
        new($"LZMA2 match distance {rep0 + 1} reaches before the start of the dictionary ({available} bytes decoded).");

    private static CorruptDataException Truncated() => new("LZMA2 stream is truncated.");

    private static CorruptDataException TooLarge(int capacity) => new($"LZMA2 stream decodes to more than the expected {capacity} bytes.");
}

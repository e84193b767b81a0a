using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EmAlign.Codecs;

/// <summary>
/// LZMA range decoder over one LZMA2 chunk's compressed bytes. Normalises after every bit, so a
/// well-formed chunk is consumed exactly and ends with <see cref="Code"/> == 0. Reading past the end
/// yields zeros and moves <see cref="Position"/> beyond the input, which the caller reports.
/// </summary>
internal ref struct LzmaRangeDecoder
{
    private readonly ReadOnlySpan<byte> _in;
    private int _pos;
    private uint _range;
    private uint _code;

    /// <summary>Starts on a chunk; the first of the 5 initial bytes is always 0.</summary>
    public LzmaRangeDecoder(ReadOnlySpan<byte> input)
    {
        _in = input;
        _range = 0xFFFFFFFFu;
        _code = 0;
        for (int i = 0; i < 5; i++) _code = (_code << 8) | Next();
        Valid = input.Length >= 5 && input[0] == 0;
    }

    /// <summary>False when the chunk does not start like a range-coded stream.</summary>
    public readonly bool Valid { get; }

    public readonly int Position => _pos;

    public readonly uint Code => _code;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte Next()
    {
        int p = _pos++;
        return (uint)p < (uint)_in.Length ? _in[p] : (byte)0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Bit(ref ushort prob)
    {
        uint p = prob;
        uint bound = (_range >> LzmaModel.ProbBits) * p;
        int bit;
        if (_code < bound)
        {
            _range = bound;
            prob = (ushort)(p + ((2048 - p) >> LzmaModel.MoveBits));
            bit = 0;
        }
        else
        {
            _range -= bound;
            _code -= bound;
            prob = (ushort)(p - (p >> LzmaModel.MoveBits));
            bit = 1;
        }
        if (_range < 1u << 24)
        {
            _range <<= 8;
            _code = (_code << 8) | Next();
        }
        return bit;
    }

    /// <summary>
    /// Decodes a literal's 8 bits (the hottest loop on noisy images); the coder state is held in
    /// locals for the whole byte.
    /// </summary>
    public int Literal(Span<ushort> probs)
    {
        uint range = _range, code = _code;
        int pos = _pos, sym = 1;
        var input = _in;
        ref ushort p0 = ref MemoryMarshal.GetReference(probs);
        do
        {
            ref ushort prob = ref Unsafe.Add(ref p0, sym); // sym < 0x100 <= probs.Length
            uint p = prob;
            uint bound = (range >> LzmaModel.ProbBits) * p;
            if (code < bound)
            {
                range = bound;
                prob = (ushort)(p + ((2048 - p) >> LzmaModel.MoveBits));
                sym <<= 1;
            }
            else
            {
                range -= bound;
                code -= bound;
                prob = (ushort)(p - (p >> LzmaModel.MoveBits));
                sym = (sym << 1) | 1;
            }
            if (range < 1u << 24)
            {
                range <<= 8;
                code = (code << 8) | ((uint)pos < (uint)input.Length ? input[pos] : 0u);
                pos++;
            }
        }
        while (sym < 0x100);
        _range = range;
        _code = code;
        _pos = pos;
        return sym & 0xFF;
    }

    /// <summary>Decodes a most-significant-bit-first tree of <paramref name="bits"/> levels rooted at probs[1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Tree(Span<ushort> probs, int bits)
    {
        int m = 1;
        for (int i = 0; i < bits; i++) m = (m << 1) | Bit(ref probs[m]);
        return m - (1 << bits);
    }

    /// <summary>Decodes a least-significant-bit-first tree (distance low bits).</summary>
    public int ReverseTree(Span<ushort> probs, int bits)
    {
        int m = 1, sym = 0;
        for (int i = 0; i < bits; i++)
        {
            int bit = Bit(ref probs[m]);
            m = (m << 1) | bit;
            sym |= bit << i;
        }
        return sym;
    }

    /// <summary>Decodes bits with fixed probability one half.</summary>
    public uint Direct(int bits)
    {
        uint result = 0;
        for (int i = 0; i < bits; i++)
        {
            _range >>= 1;
            uint bit = _code >= _range ? 1u : 0u;
            if (bit != 0) _code -= _range;
            result = (result << 1) | bit;
            if (_range < 1u << 24)
            {
                _range <<= 8;
                _code = (_code << 8) | Next();
            }
        }
        return result;
    }
}

/// <summary>
/// LZMA range encoder writing one LZMA2 chunk into a caller-provided buffer. Carries ripple into the
/// byte held back in <c>cache</c> and the run of 0xFF bytes after it, so written bytes are final.
/// </summary>
internal sealed class LzmaRangeEncoder(int capacity)
{
    private readonly byte[] _buf = new byte[capacity];
    private int _pos;
    private ulong _low;
    private uint _range;
    private byte _cache;
    private long _cacheSize;

    public ReadOnlySpan<byte> Written => _buf.AsSpan(0, _pos);

    /// <summary>Size the chunk will have once flushed.</summary>
    public long PendingSize => _pos + _cacheSize + 4;

    public void Reset()
    {
        _pos = 0;
        _low = 0;
        _range = 0xFFFFFFFFu;
        _cache = 0;
        _cacheSize = 1;
    }

    private void ShiftLow()
    {
        if ((uint)_low < 0xFF000000u || (_low >> 32) != 0)
        {
            byte carry = (byte)(_low >> 32);
            byte temp = _cache;
            do
            {
                _buf[_pos++] = (byte)(temp + carry);
                temp = 0xFF;
            }
            while (--_cacheSize != 0);
            _cache = (byte)(_low >> 24);
        }
        _cacheSize++;
        _low = (_low & 0x00FFFFFFu) << 8;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Bit(ref ushort prob, int bit)
    {
        uint p = prob;
        uint bound = (_range >> LzmaModel.ProbBits) * p;
        if (bit == 0)
        {
            _range = bound;
            prob = (ushort)(p + ((2048 - p) >> LzmaModel.MoveBits));
        }
        else
        {
            _low += bound;
            _range -= bound;
            prob = (ushort)(p - (p >> LzmaModel.MoveBits));
        }
        while (_range < 1u << 24)
        {
            _range <<= 8;
            ShiftLow();
        }
    }

    public void Tree(Span<ushort> probs, int bits, int symbol)
    {
        int m = 1;
        for (int i = bits - 1; i >= 0; i--)
        {
            int bit = (symbol >> i) & 1;
            Bit(ref probs[m], bit);
            m = (m << 1) | bit;
        }
    }

    public void ReverseTree(Span<ushort> probs, int bits, int symbol)
    {
        int m = 1;
        for (int i = 0; i < bits; i++)
        {
            int bit = (symbol >> i) & 1;
            Bit(ref probs[m], bit);
            m = (m << 1) | bit;
        }
    }

    public void Direct(uint value, int bits)
    {
        for (int i = bits - 1; i >= 0; i--)
        {
            _range >>= 1;
            if (((value >> i) & 1) != 0) _low += _range;
            while (_range < 1u << 24)
            {
                _range <<= 8;
                ShiftLow();
            }
        }
    }

    public void Flush()
    {
        for (int i = 0; i < 5; i++) ShiftLow();
    }
}

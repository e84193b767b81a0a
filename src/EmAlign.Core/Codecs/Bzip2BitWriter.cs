using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace EmAlign.Codecs;

/// <summary>Most-significant-bit-first writer for bzip2 streams, growing its own buffer.</summary>
internal sealed class Bzip2BitWriter(int capacity)
{
    private byte[] _buf = new byte[Math.Max(capacity, 64)];
    private int _pos;
    private ulong _acc;
    private int _bits;

    /// <summary>Bits written so far.</summary>
    public long BitLength => (long)_pos * 8 + _bits;

    /// <summary>Appends the low <paramref name="n"/> (0 to 32) bits of <paramref name="value"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(int n, uint value)
    {
        _acc = (_acc << n) | value;
        _bits += n;
        if (_bits >= 32)
        {
            _bits -= 32;
            if (_pos + 4 > _buf.Length) Array.Resize(ref _buf, _buf.Length * 2);
            BinaryPrimitives.WriteUInt32BigEndian(_buf.AsSpan(_pos), (uint)(_acc >> _bits));
            _pos += 4;
        }
    }

    /// <summary>Appends everything <paramref name="other"/> holds, bit for bit (blocks are not byte aligned).</summary>
    public void Append(Bzip2BitWriter other)
    {
        var src = other._buf.AsSpan(0, other._pos);
        int i = 0;
        for (; i + 4 <= src.Length; i += 4) Write(32, BinaryPrimitives.ReadUInt32BigEndian(src[i..]));
        for (; i < src.Length; i++) Write(8, src[i]);
        if (other._bits > 0) Write(other._bits, (uint)(other._acc & ((1u << other._bits) - 1)));
    }

    /// <summary>Pads the last byte with zero bits and returns the bytes.</summary>
    public byte[] ToArray()
    {
        int tail = (_bits + 7) >> 3;
        var result = new byte[_pos + tail];
        _buf.AsSpan(0, _pos).CopyTo(result);
        ulong rest = _acc << (64 - _bits);
        for (int k = 0; k < tail; k++) result[_pos + k] = (byte)(rest >> (56 - 8 * k));
        return result;
    }
}

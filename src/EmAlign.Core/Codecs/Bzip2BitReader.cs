using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using EmAlign.Diagnostics;

namespace EmAlign.Codecs;

/// <summary>
/// Most-significant-bit-first reader for bzip2 streams. The next unread bit is bit 63 of
/// <see cref="Bits"/>; <see cref="Count"/> of them are valid (bits below are zero or the same
/// future bytes, so refills may overlap). Reading past the end leaves <see cref="Count"/> negative,
/// which callers turn into a truncation error.
/// </summary>
internal ref struct Bzip2BitReader(ReadOnlySpan<byte> source)
{
    private readonly ReadOnlySpan<byte> _src = source;
    private int _pos;
    public ulong Bits;
    public int Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Refill()
    {
        if (_pos + 8 <= _src.Length)
        {
            Bits |= BinaryPrimitives.ReadUInt64BigEndian(_src[_pos..]) >> Count;
            int n = (63 - Count) >> 3;
            _pos += n;
            Count += n << 3;
        }
        else RefillSlow();
    }

    private void RefillSlow()
    {
        while (Count <= 56 && _pos < _src.Length)
        {
            Bits |= (ulong)_src[_pos++] << (56 - Count);
            Count += 8;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Skip(int n)
    {
        Bits <<= n;
        Count -= n;
    }

    /// <summary>Reads 1 to 32 bits as an unsigned number.</summary>
    public uint Read(int n)
    {
        if (Count < n)
        {
            Refill();
            if (Count < n) throw Truncated();
        }
        uint v = (uint)(Bits >> (64 - n));
        Skip(n);
        return v;
    }

    public bool ReadBit() => Read(1) != 0;

    /// <summary>Drops the bits left in the current byte (streams end on a byte boundary).</summary>
    public void AlignToByte() => Skip(Count & 7);

    /// <summary>Whole bytes not yet consumed (valid after <see cref="AlignToByte"/>).</summary>
    public readonly int BytesLeft => _src.Length - _pos + (Count >> 3);

    public static CorruptDataException Truncated() => new("bzip2 stream is truncated: it ends inside a block or before its end-of-stream marker.");
}

using System.Numerics;
using System.Runtime.CompilerServices;

namespace EmAlign.Codecs;

/// <summary>
/// Reads a Zstandard backward bit stream (RFC 8878 §4.1): bits are consumed from the end of the buffer towards
/// its start; the last byte carries a 1 marker above the first bit. A 64-bit container is refilled a whole
/// byte count at a time so a refill in mid-stream always leaves at least 57 bits to read.
/// Reading past the start is not checked per read: <see cref="Consumed"/> then exceeds 64 and the caller
/// reports the stream as corrupt (<see cref="Overflowed"/>, <see cref="Finished"/>).
/// </summary>
internal unsafe struct ZstdBitReader
{
    public ulong Container;
    public uint Consumed;
    public byte* Ptr;
    public readonly byte* Start;

    public ZstdBitReader(byte* start, nint size)
    {
        if (size < 1) throw ZstdFormat.Corrupt("empty bit stream");
        byte last = start[size - 1];
        if (last == 0) throw ZstdFormat.Corrupt("bit stream lacks its end marker");
        Start = start;
        Consumed = (uint)(8 - BitOperations.Log2(last));
        if (size >= 8)
        {
            Ptr = start + size - 8;
            Container = Unsafe.ReadUnaligned<ulong>(Ptr);
        }
        else
        {
            Ptr = start;
            ulong c = 0;
            for (int i = 0; i < size; i++) c |= (ulong)start[i] << (8 * i);
            Container = c;
            Consumed += (uint)(8 - size) * 8;
        }
    }

    /// <summary>Reads <paramref name="n"/> bits (0..57 after a refill), most significant first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Read(uint n)
    {
        ulong v = (Container << (int)Consumed) >> 1 >> (int)(63 - n);
        Consumed += n;
        return (uint)v;
    }

    /// <summary>Looks at the next <paramref name="n"/> bits (1..57) without consuming them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly uint Peek(int n) => (uint)((Container << (int)Consumed) >> (64 - n));

    /// <summary>Refills the container; after it, at least 57 bits are readable unless the start is near.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Reload()
    {
        if (Consumed > 64) return;
        if (Ptr >= Start + 8)
        {
            Ptr -= Consumed >> 3;
            Consumed &= 7;
            Container = Unsafe.ReadUnaligned<ulong>(Ptr);
        }
        else if (Ptr != Start)
        {
            ReloadNearStart();
        }
    }

    /// <summary>Refill with the start of the stream in sight: step back only as far as the start.</summary>
    private void ReloadNearStart()
    {
        nint bytes = (nint)(Consumed >> 3);
        if (Ptr - bytes < Start) bytes = (nint)(Ptr - Start);
        Ptr -= bytes;
        Consumed -= (uint)bytes * 8;
        Container = Unsafe.ReadUnaligned<ulong>(Ptr);
    }

    /// <summary>Refill when the caller knows <see cref="Ptr"/> is at least 8 bytes past the start.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ReloadFast()
    {
        Ptr -= Consumed >> 3;
        Consumed &= 7;
        Container = Unsafe.ReadUnaligned<ulong>(Ptr);
    }

    /// <summary>More bits were read than the stream holds.</summary>
    public readonly bool Overflowed => Consumed > 64;

    /// <summary>Every bit of the stream was read, no more.</summary>
    public readonly bool Finished => Ptr == Start && Consumed == 64;
}

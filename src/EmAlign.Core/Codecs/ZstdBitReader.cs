using System.Numerics;
using System.Runtime.CompilerServices;

namespace EmAlign.Codecs;

/// <summary>
/// Reads a Zstandard backward bit stream (RFC 8878 §4.1): bits are consumed from the end of the buffer towards
/// its start; the last byte carries a 1 marker above the first bit. A 64-bit container is refilled a whole
/// byte count at a time, so a refill in mid-stream always leaves at least 57 bits to read.
/// Reads past the start are not checked one by one: <see cref="Consumed"/> then exceeds 64 and the caller
/// reports the stream as corrupt. Hot loops copy the state into locals and use the static
/// <see cref="Take"/> and <see cref="Refill"/> so that it stays in registers.
/// </summary>
internal unsafe struct ZstdBitReader
{
    public ulong Container;
    public int Consumed;
    public byte* Ptr;
    public readonly byte* Start;

    public ZstdBitReader(byte* start, nint size)
    {
        if (size < 1) throw ZstdFormat.Corrupt("empty bit stream");
        byte last = start[size - 1];
        if (last == 0) throw ZstdFormat.Corrupt("bit stream lacks its end marker");
        Start = start;
        Consumed = 8 - BitOperations.Log2(last);
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
            Consumed += (int)(8 - size) * 8;
        }
    }

    /// <summary>Reads <paramref name="n"/> bits (0..57 after a refill), most significant first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Read(int n) => Take(Container, ref Consumed, n);

    /// <summary>Refills the container (see <see cref="Refill"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Reload() => Refill(ref Container, ref Consumed, ref Ptr, Start);

    /// <summary>More bits were read than the stream holds.</summary>
    public readonly bool Overflowed => Consumed > 64;

    /// <summary>Reads <paramref name="n"/> bits (0..57 after a refill) from a container whose top <paramref name="consumed"/> bits are used.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Take(ulong bits, ref int consumed, int n)
    {
        uint v = (uint)((bits << consumed) >> 1 >> (63 - n));
        consumed += n;
        return v;
    }

    /// <summary>
    /// Steps back over the used whole bytes and reloads the container. In mid-stream at most 57 bits are read
    /// between refills, so this never goes back more than 8 bytes; near the start it stops at the start, and
    /// once bits run out it leaves <paramref name="consumed"/> growing past 64 for the final check to catch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Refill(ref ulong bits, ref int consumed, ref byte* ptr, byte* start)
    {
        if (ptr >= start + 8)
        {
            ptr -= consumed >> 3;
            consumed &= 7;
        }
        else
        {
            if (ptr == start || consumed > 64) return;
            nint bytes = consumed >> 3;
            if (ptr - bytes < start) bytes = (nint)(ptr - start);
            ptr -= bytes;
            consumed -= (int)bytes * 8;
        }
        bits = Unsafe.ReadUnaligned<ulong>(ptr);
    }
}

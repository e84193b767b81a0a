using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace EmAlign.Codecs;

/// <summary>XXH64 (the Zstandard content checksum is the low 32 bits of XXH64 with seed 0).</summary>
public static class XxHash64
{
    private const ulong P1 = 11400714785074694791UL, P2 = 14029467366897019727UL, P3 = 1609587929392839161UL,
        P4 = 9650029242287828579UL, P5 = 2870177450012600261UL;

    /// <summary>XXH64 of <paramref name="data"/> with <paramref name="seed"/>.</summary>
    public static ulong Compute(ReadOnlySpan<byte> data, ulong seed = 0)
    {
        int i = 0;
        ulong h;
        if (data.Length >= 32)
        {
            ulong v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
            ref byte p = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(data);
            int stripes = data.Length & ~31;
            for (; i < stripes; i += 32)
            {
                v1 = Round(v1, Lane(ref p, i));
                v2 = Round(v2, Lane(ref p, i + 8));
                v3 = Round(v3, Lane(ref p, i + 16));
                v4 = Round(v4, Lane(ref p, i + 24));
            }
            h = BitOperations.RotateLeft(v1, 1) + BitOperations.RotateLeft(v2, 7) + BitOperations.RotateLeft(v3, 12) + BitOperations.RotateLeft(v4, 18);
            h = Merge(h, v1);
            h = Merge(h, v2);
            h = Merge(h, v3);
            h = Merge(h, v4);
        }
        else
        {
            h = seed + P5;
        }
        h += (ulong)data.Length;
        for (; i + 8 <= data.Length; i += 8)
        {
            h ^= Round(0, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
            h = BitOperations.RotateLeft(h, 27) * P1 + P4;
        }
        if (i + 4 <= data.Length)
        {
            h ^= BinaryPrimitives.ReadUInt32LittleEndian(data[i..]) * P1;
            h = BitOperations.RotateLeft(h, 23) * P2 + P3;
            i += 4;
        }
        for (; i < data.Length; i++)
        {
            h ^= data[i] * P5;
            h = BitOperations.RotateLeft(h, 11) * P1;
        }
        h ^= h >> 33;
        h *= P2;
        h ^= h >> 29;
        h *= P3;
        h ^= h >> 32;
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Lane(ref byte p, int offset)
    {
        ulong v = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, offset));
        return BitConverter.IsLittleEndian ? v : BinaryPrimitives.ReverseEndianness(v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Round(ulong acc, ulong lane) => BitOperations.RotateLeft(acc + lane * P2, 31) * P1;

    private static ulong Merge(ulong h, ulong v) => (h ^ Round(0, v)) * P1 + P4;
}

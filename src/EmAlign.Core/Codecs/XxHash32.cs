using System.Buffers.Binary;
using System.Numerics;

namespace EmAlign.Codecs;

/// <summary>XXH32 (N5 LZ4Block checksums use seed 0x9747B28C and keep the low 28 bits).</summary>
public static class XxHash32
{
    private const uint P1 = 2654435761u, P2 = 2246822519u, P3 = 3266489917u, P4 = 668265263u, P5 = 374761393u;

    /// <summary>XXH32 of <paramref name="data"/> with <paramref name="seed"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data, uint seed = 0)
    {
        int i = 0;
        uint h;
        if (data.Length >= 16)
        {
            uint v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
            for (; i + 16 <= data.Length; i += 16)
            {
                v1 = Round(v1, BinaryPrimitives.ReadUInt32LittleEndian(data[i..]));
                v2 = Round(v2, BinaryPrimitives.ReadUInt32LittleEndian(data[(i + 4)..]));
                v3 = Round(v3, BinaryPrimitives.ReadUInt32LittleEndian(data[(i + 8)..]));
                v4 = Round(v4, BinaryPrimitives.ReadUInt32LittleEndian(data[(i + 12)..]));
            }
            h = BitOperations.RotateLeft(v1, 1) + BitOperations.RotateLeft(v2, 7) + BitOperations.RotateLeft(v3, 12) + BitOperations.RotateLeft(v4, 18);
        }
        else
        {
            h = seed + P5;
        }
        h += (uint)data.Length;
        for (; i + 4 <= data.Length; i += 4)
            h = BitOperations.RotateLeft(h + BinaryPrimitives.ReadUInt32LittleEndian(data[i..]) * P3, 17) * P4;
        for (; i < data.Length; i++)
            h = BitOperations.RotateLeft(h + data[i] * P5, 11) * P1;
        h ^= h >> 15;
        h *= P2;
        h ^= h >> 13;
        h *= P3;
        h ^= h >> 16;
        return h;
    }

    private static uint Round(uint acc, uint lane) => BitOperations.RotateLeft(acc + lane * P2, 13) * P1;
}

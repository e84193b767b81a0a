using System.Buffers.Binary;
using System.Numerics;

namespace EmAlign.Codecs;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, init and final XOR 0xFFFFFFFF) as used by the
/// Zarr v3 / numcodecs "crc32c" codec and sharding indexes. Uses the hardware CRC32C instruction where present.
/// </summary>
public static class Crc32C
{
    /// <summary>CRC-32C of <paramref name="data"/>; stored little-endian by the formats that use it.</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        int i = 0;
        // Eight bytes per instruction; lanes are read little-endian because the CRC is bit-reflected.
        for (; i + 8 <= data.Length; i += 8)
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
        for (; i < data.Length; i++)
            crc = BitOperations.Crc32C(crc, data[i]);
        return ~crc;
    }
}

using System.Buffers.Binary;

namespace EmAlign.Codecs;

/// <summary>
/// The bzip2 block CRC: CRC-32 with polynomial 0x04C11DB7 processed most-significant bit first
/// (not reflected, unlike zlib's), initial value and final xor 0xFFFFFFFF. Slicing by 4 keeps it
/// well below the cost of the inverse BWT.
/// </summary>
internal static class Bzip2Crc
{
    private static readonly uint[] Table = Build();

    private static uint[] Build()
    {
        var t = new uint[4 * 256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i << 24;
            for (int k = 0; k < 8; k++) c = (c & 0x80000000u) != 0 ? (c << 1) ^ 0x04C11DB7u : c << 1;
            t[i] = c;
        }
        // Table k advances a byte followed by k zero bytes.
        for (int k = 1; k < 4; k++)
            for (int i = 0; i < 256; i++)
            {
                uint prev = t[(k - 1) * 256 + i];
                t[k * 256 + i] = (prev << 8) ^ t[prev >> 24];
            }
        return t;
    }

    /// <summary>Returns the finished CRC of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(0xFFFFFFFFu, data);

    /// <summary>Advances a running (not yet inverted) CRC register over <paramref name="data"/>.</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        var t = Table;
        int i = 0;
        for (; i + 4 <= data.Length; i += 4)
        {
            crc ^= BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
            crc = t[768 + (crc >> 24)] ^ t[512 + ((crc >> 16) & 0xFF)] ^ t[256 + ((crc >> 8) & 0xFF)] ^ t[crc & 0xFF];
        }
        for (; i < data.Length; i++) crc = (crc << 8) ^ t[(crc >> 24) ^ data[i]];
        return crc;
    }
}

using System.Buffers.Binary;

namespace EmAlign.Codecs;

/// <summary>
/// The integrity checks of the .xz container: CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320,
/// the zlib/gzip one) and CRC-64 (ECMA-182, reflected polynomial 0xC96C5795D7870F42), both with
/// initial value and final xor of all ones, computed slicing by 8.
/// </summary>
internal static class XzChecks
{
    private static readonly uint[] Crc32Table = Build32();
    private static readonly ulong[] Crc64Table = Build64();

    private static uint[] Build32()
    {
        var t = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
            t[i] = c;
        }
        for (int k = 1; k < 8; k++)
            for (int i = 0; i < 256; i++)
            {
                uint prev = t[(k - 1) * 256 + i];
                t[k * 256 + i] = (prev >> 8) ^ t[prev & 0xFF];
            }
        return t;
    }

    private static ulong[] Build64()
    {
        var t = new ulong[8 * 256];
        for (ulong i = 0; i < 256; i++)
        {
            ulong c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ 0xC96C5795D7870F42UL : c >> 1;
            t[i] = c;
        }
        for (int k = 1; k < 8; k++)
            for (int i = 0; i < 256; i++)
            {
                ulong prev = t[(k - 1) * 256 + i];
                t[k * 256 + i] = (prev >> 8) ^ t[prev & 0xFF];
            }
        return t;
    }

    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        var t = Crc32Table;
        uint crc = 0xFFFFFFFFu;
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            uint a = BinaryPrimitives.ReadUInt32LittleEndian(data[i..]) ^ crc;
            uint b = BinaryPrimitives.ReadUInt32LittleEndian(data[(i + 4)..]);
            crc = t[1792 + (a & 0xFF)] ^ t[1536 + ((a >> 8) & 0xFF)] ^ t[1280 + ((a >> 16) & 0xFF)] ^ t[1024 + (a >> 24)]
                ^ t[768 + (b & 0xFF)] ^ t[512 + ((b >> 8) & 0xFF)] ^ t[256 + ((b >> 16) & 0xFF)] ^ t[b >> 24];
        }
        for (; i < data.Length; i++) crc = (crc >> 8) ^ t[(crc ^ data[i]) & 0xFF];
        return ~crc;
    }

    public static ulong Crc64(ReadOnlySpan<byte> data)
    {
        var t = Crc64Table;
        ulong crc = 0xFFFFFFFFFFFFFFFFUL;
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            ulong x = BinaryPrimitives.ReadUInt64LittleEndian(data[i..]) ^ crc;
            crc = t[1792 + (x & 0xFF)] ^ t[1536 + ((x >> 8) & 0xFF)] ^ t[1280 + ((x >> 16) & 0xFF)] ^ t[1024 + ((x >> 24) & 0xFF)]
                ^ t[768 + ((x >> 32) & 0xFF)] ^ t[512 + ((x >> 40) & 0xFF)] ^ t[256 + ((x >> 48) & 0xFF)] ^ t[x >> 56];
        }
        for (; i < data.Length; i++) crc = (crc >> 8) ^ t[(crc ^ data[i]) & 0xFF];
        return ~crc;
    }
}

using System.Buffers;
using System.Buffers.Binary;

namespace EmAlign.Codecs;

/// <summary>
/// Writes one .xz stream with CRC-64 checks (the xz default) and, for non-empty input, a single
/// block whose header records both sizes, LZMA2 as its only filter, followed by the index and footer.
/// </summary>
internal static class XzEncoder
{
    private const int CheckCrc64 = 4;

    public static byte[] Encode(ReadOnlySpan<byte> source, int preset)
    {
        var output = new ArrayBufferWriter<byte>(source.Length / 2 + 256);
        Span<byte> flags = [0x00, CheckCrc64];
        output.Write(XzDecoder.HeaderMagic);
        output.Write(flags);
        WriteUInt32(output, XzChecks.Crc32(flags));

        var records = new List<(long Unpadded, long Uncompressed)>();
        if (source.Length > 0)
        {
            int dictionary = LzmaEncoder.DictionarySizeFor(source.Length, LzmaEncoder.Preset(preset).Dictionary);
            var lzma2 = new ArrayBufferWriter<byte>(source.Length / 2 + 256);
            LzmaEncoder.EncodeLzma2(source, preset, dictionary, lzma2);

            Span<byte> header = stackalloc byte[64];
            int p = 2;
            header[1] = 0xC0; // compressed and uncompressed sizes present, one filter
            p += WriteVli(header[p..], lzma2.WrittenCount);
            p += WriteVli(header[p..], source.Length);
            header[p++] = XzDecoder.FilterLzma2;
            header[p++] = 1;
            header[p++] = LzmaEncoder.DictionaryByte(dictionary);
            int headerSize = (p + 4 + 3) & ~3;
            header[p..(headerSize - 4)].Clear();
            header[0] = (byte)(headerSize / 4 - 1);
            BinaryPrimitives.WriteUInt32LittleEndian(header[(headerSize - 4)..], XzChecks.Crc32(header[..(headerSize - 4)]));
            output.Write(header[..headerSize]);
            output.Write(lzma2.WrittenSpan);
            WriteZeros(output, (4 - (lzma2.WrittenCount & 3)) & 3);
            WriteUInt64(output, XzChecks.Crc64(source));
            records.Add((headerSize + lzma2.WrittenCount + 8, source.Length));
        }

        // Index: indicator, record count, (unpadded, uncompressed) per block, padding, CRC32.
        Span<byte> index = stackalloc byte[8 + records.Count * 20 + 8];
        int q = 1;
        index[0] = 0;
        q += WriteVli(index[q..], records.Count);
        foreach (var (unpadded, uncompressed) in records)
        {
            q += WriteVli(index[q..], unpadded);
            q += WriteVli(index[q..], uncompressed);
        }
        while ((q & 3) != 0) index[q++] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(index[q..], XzChecks.Crc32(index[..q]));
        q += 4;
        output.Write(index[..q]);

        Span<byte> footer = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(footer[4..], (uint)(q / 4 - 1));
        footer[8] = flags[0];
        footer[9] = flags[1];
        footer[10] = (byte)'Y';
        footer[11] = (byte)'Z';
        BinaryPrimitives.WriteUInt32LittleEndian(footer, XzChecks.Crc32(footer.Slice(4, 6)));
        output.Write(footer);
        return output.WrittenSpan.ToArray();
    }

    private static int WriteVli(Span<byte> dst, long value)
    {
        int n = 0;
        while (value >= 0x80)
        {
            dst[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        dst[n++] = (byte)value;
        return n;
    }

    private static void WriteUInt32(ArrayBufferWriter<byte> output, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    private static void WriteUInt64(ArrayBufferWriter<byte> output, ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    private static void WriteZeros(ArrayBufferWriter<byte> output, int count)
    {
        output.GetSpan(count)[..count].Clear();
        output.Advance(count);
    }
}

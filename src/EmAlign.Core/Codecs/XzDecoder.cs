using System.Buffers.Binary;
using System.Security.Cryptography;
using EmAlign.Diagnostics;

namespace EmAlign.Codecs;

/// <summary>
/// .xz container decoder: one or more streams (12-byte header, blocks, index, 12-byte footer,
/// zero padding between streams). Blocks may use the LZMA2 filter, optionally after a delta
/// filter. CRC-32, CRC-64 and SHA-256 checks are verified; other check types are skipped by size.
/// The index and footer are checked against the blocks actually read.
/// </summary>
internal static class XzDecoder
{
    public const byte FilterDelta = 0x03, FilterLzma2 = 0x21;
    public static ReadOnlySpan<byte> HeaderMagic => [0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00];

    /// <summary>Bytes of the check for each of the 16 check ids.</summary>
    public static int CheckSize(int id) => id == 0 ? 0 : 4 << ((id - 1) / 3);

    public static int Decode(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        int inPos = 0, outPos = 0;
        var lzma = new LzmaDecoder();
        var records = new List<(long Unpadded, long Uncompressed)>();
        do
        {
            if (src.Length - inPos < 12) throw Truncated();
            var header = src.Slice(inPos, 12);
            if (!header[..6].SequenceEqual(HeaderMagic)) throw new CorruptDataException("xz stream does not start with the .xz magic bytes.");
            if (XzChecks.Crc32(header.Slice(6, 2)) != BinaryPrimitives.ReadUInt32LittleEndian(header[8..]))
                throw new CorruptDataException("xz stream header CRC32 mismatch.");
            if (header[6] != 0 || header[7] > 0x0F) throw new CorruptDataException($"xz stream flags 0x{header[6]:X2}{header[7]:X2} are not supported.");
            int checkId = header[7];
            int checkSize = CheckSize(checkId);
            inPos += 12;

            records.Clear();
            while (true)
            {
                if (inPos >= src.Length) throw Truncated();
                if (src[inPos] == 0) break; // index indicator
                int blockOut = outPos;
                int headerSize = (src[inPos] + 1) * 4;
                long unpadded = DecodeBlock(src, ref inPos, dst, ref outPos, lzma, checkId, checkSize);
                records.Add((unpadded + headerSize, outPos - blockOut));
            }

            int indexStart = inPos;
            inPos++;
            long count = ReadVli(src, ref inPos);
            if (count != records.Count) throw new CorruptDataException($"xz index lists {count} blocks, the stream holds {records.Count}.");
            foreach (var (unpadded, uncompressed) in records)
            {
                long u = ReadVli(src, ref inPos), v = ReadVli(src, ref inPos);
                if (u != unpadded || v != uncompressed) throw new CorruptDataException("xz index does not match the blocks of the stream.");
            }
            SkipZeroPadding(src, ref inPos, inPos - indexStart, "index");
            if (src.Length - inPos < 4) throw Truncated();
            if (XzChecks.Crc32(src[indexStart..inPos]) != BinaryPrimitives.ReadUInt32LittleEndian(src[inPos..]))
                throw new CorruptDataException("xz index CRC32 mismatch.");
            inPos += 4;
            long indexSize = inPos - indexStart;

            if (src.Length - inPos < 12) throw Truncated();
            var footer = src.Slice(inPos, 12);
            if (XzChecks.Crc32(footer.Slice(4, 6)) != BinaryPrimitives.ReadUInt32LittleEndian(footer))
                throw new CorruptDataException("xz stream footer CRC32 mismatch.");
            if (((long)BinaryPrimitives.ReadUInt32LittleEndian(footer[4..]) + 1) * 4 != indexSize)
                throw new CorruptDataException("xz stream footer's index size does not match the index.");
            if (footer[8] != header[6] || footer[9] != header[7] || footer[10] != (byte)'Y' || footer[11] != (byte)'Z')
                throw new CorruptDataException("xz stream footer does not match its header.");
            inPos += 12;

            // Stream padding: groups of four zero bytes, then possibly another stream.
            while (src.Length - inPos >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(src[inPos..]) == 0) inPos += 4;
        }
        while (inPos < src.Length);
        return outPos;
    }

    /// <summary>Decodes one block; returns its compressed size plus check size (unpadded size minus header).</summary>
    private static long DecodeBlock(ReadOnlySpan<byte> src, ref int inPos, Span<byte> dst, ref int outPos, LzmaDecoder lzma, int checkId, int checkSize)
    {
        int headerSize = (src[inPos] + 1) * 4;
        if (src.Length - inPos < headerSize) throw Truncated();
        var h = src.Slice(inPos, headerSize);
        if (XzChecks.Crc32(h[..^4]) != BinaryPrimitives.ReadUInt32LittleEndian(h[^4..]))
            throw new CorruptDataException("xz block header CRC32 mismatch.");
        int flags = h[1];
        if ((flags & 0x3C) != 0) throw new CorruptDataException($"xz block flags 0x{flags:X2} use reserved bits.");
        int p = 2;
        var body = h[..^4];
        long compressedSize = (flags & 0x40) != 0 ? ReadVli(body, ref p) : -1;
        long uncompressedSize = (flags & 0x80) != 0 ? ReadVli(body, ref p) : -1;
        int filters = (flags & 3) + 1, deltaDistance = 0;
        for (int f = 0; f < filters; f++)
        {
            long id = ReadVli(body, ref p), propSize = ReadVli(body, ref p);
            if (propSize > body.Length - p) throw new CorruptDataException("xz filter properties run past the block header.");
            bool last = f == filters - 1;
            if (id == FilterLzma2 && last && propSize == 1)
            {
                if (body[p] > 40) throw new CorruptDataException($"xz LZMA2 dictionary size byte {body[p]} is invalid.");
            }
            else if (id == FilterDelta && !last && propSize == 1 && deltaDistance == 0) deltaDistance = body[p] + 1;
            else throw new CorruptDataException($"xz filter 0x{id:X2} ({(last ? "last" : "not last")} in the chain) is not supported: only delta followed by LZMA2.");
            p += (int)propSize;
        }
        foreach (byte b in body[p..])
            if (b != 0) throw new CorruptDataException("xz block header padding is not zero.");
        inPos += headerSize;

        int start = inPos, blockOut = outPos;
        outPos = lzma.DecodeLzma2(src, ref inPos, dst, outPos);
        long compressed = inPos - start;
        if (compressedSize >= 0 && compressedSize != compressed)
            throw new CorruptDataException($"xz block declares {compressedSize} compressed bytes but holds {compressed}.");
        if (uncompressedSize >= 0 && uncompressedSize != outPos - blockOut)
            throw new CorruptDataException($"xz block declares {uncompressedSize} bytes but decodes to {outPos - blockOut}.");
        var data = dst[blockOut..outPos];
        if (deltaDistance > 0)
            for (int i = deltaDistance; i < data.Length; i++) data[i] += data[i - deltaDistance];
        SkipZeroPadding(src, ref inPos, inPos - start, "block");

        if (src.Length - inPos < checkSize) throw Truncated();
        var check = src.Slice(inPos, checkSize);
        bool ok = checkId switch
        {
            1 => XzChecks.Crc32(data) == BinaryPrimitives.ReadUInt32LittleEndian(check),
            4 => XzChecks.Crc64(data) == BinaryPrimitives.ReadUInt64LittleEndian(check),
            10 => SHA256.HashData(data).AsSpan().SequenceEqual(check),
            _ => true,
        };
        if (!ok) throw new CorruptDataException($"xz block check ({(checkId == 1 ? "CRC32" : checkId == 4 ? "CRC64" : "SHA-256")}) mismatch: the data is corrupt.");
        inPos += checkSize;
        return compressed + checkSize;
    }

    /// <summary>Skips the zero bytes that pad a field of <paramref name="length"/> bytes to a multiple of four.</summary>
    private static void SkipZeroPadding(ReadOnlySpan<byte> src, ref int inPos, long length, string what)
    {
        for (long k = length; (k & 3) != 0; k++)
        {
            if (inPos >= src.Length) throw Truncated();
            if (src[inPos++] != 0) throw new CorruptDataException($"xz {what} padding is not zero.");
        }
    }

    /// <summary>Reads a variable-length integer (7 bits per byte, low first, at most 9 bytes, minimal form).</summary>
    public static long ReadVli(ReadOnlySpan<byte> src, ref int pos)
    {
        long value = 0;
        for (int i = 0; i < 9; i++)
        {
            if (pos >= src.Length) throw Truncated();
            byte b = src[pos++];
            value |= (long)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                if (b == 0 && i > 0) throw new CorruptDataException("xz variable-length integer is not in its shortest form.");
                return value;
            }
        }
        throw new CorruptDataException("xz variable-length integer is longer than 9 bytes.");
    }

    private static CorruptDataException Truncated() => new("xz stream is truncated.");
}

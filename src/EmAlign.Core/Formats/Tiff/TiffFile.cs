using System.Buffers.Binary;
using System.Text;
using EmAlign.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace EmAlign.Formats.Tiff;

/// <summary>
/// The directory structure of a classic TIFF or BigTIFF file, either byte order: every IFD in the chain, in order
/// (each page records the byte order it needs for decoding).
/// Parsing reads the header and IFDs through a small window buffer, so opening touches only a few kilobytes.
/// </summary>
internal sealed class TiffFile
{
    private TiffFile(List<TiffPage> pages) => Pages = pages;

    /// <summary>Every IFD of the main chain (SubIFDs are not followed).</summary>
    public IReadOnlyList<TiffPage> Pages { get; }

    /// <summary>True when <paramref name="head"/> (the first bytes of a file) is a classic or BigTIFF header in either byte order.</summary>
    private static bool IsTiffHeader(ReadOnlySpan<byte> head)
    {
        if (head.Length < 4) return false;
        bool be;
        if (head[0] == 'I' && head[1] == 'I') be = false;
        else if (head[0] == 'M' && head[1] == 'M') be = true;
        else return false;
        ushort magic = be ? BinaryPrimitives.ReadUInt16BigEndian(head[2..]) : BinaryPrimitives.ReadUInt16LittleEndian(head[2..]);
        return magic is 42 or 43;
    }

    /// <summary>True when the file at <paramref name="path"/> starts with a TIFF header (false when it cannot be read).</summary>
    public static bool HasTiffHeader(string path)
    {
        try
        {
            using var h = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            Span<byte> head = stackalloc byte[4];
            return RandomAccess.Read(h, head, 0) == 4 && IsTiffHeader(head);
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>Parses the header and the IFD chain. Throws <see cref="InvalidVolumeException"/> for a file that is not TIFF.</summary>
    public static TiffFile Read(SafeFileHandle file, string path)
    {
        long length = RandomAccess.GetLength(file);
        var src = new Window(file, length, path);
        Span<byte> head = stackalloc byte[16];
        int got = length >= 8 ? (int)Math.Min(16, length) : 0;
        if (got > 0) src.Read(0, got, "header").CopyTo(head);
        if (got < 8 || !IsTiffHeader(head))
            throw new InvalidVolumeException(
                $"'{path}' is not a TIFF file: it starts with {Hex(head[..Math.Min(got, 4)])}; expected 'II*\\0' or 'MM\\0*' (classic TIFF) or the BigTIFF marks 'II+\\0' / 'MM\\0+'.", path);
        bool be = head[0] == 'M';
        bool big = U16(head[2..], be) == 43;
        long first;
        if (big)
        {
            if (got < 16 || U16(head[4..], be) != 8)
                throw new InvalidVolumeException($"'{path}' has a BigTIFF header with offset size {(got < 16 ? 0 : U16(head[4..], be))}; expected 8.", path);
            first = (long)U64(head[8..], be);
        }
        else
        {
            first = U32(head[4..], be);
        }

        var pages = new List<TiffPage>();
        var seen = new HashSet<long>();
        for (long at = first; at != 0;)
        {
            // A chain pointing back to an IFD already read would loop forever.
            if (!seen.Add(at)) break;
            pages.Add(ReadIfd(src, at, pages.Count, be, big, out at));
        }
        if (pages.Count == 0)
            throw new InvalidVolumeException($"'{path}' is a TIFF file without any image directory (first IFD offset 0).", path);
        return new TiffFile(pages);
    }

    private static TiffPage ReadIfd(Window src, long at, int index, bool be, bool big, out long next)
    {
        string what = $"IFD {index}";
        int countSize = big ? 8 : 2, entrySize = big ? 20 : 12, inline = big ? 8 : 4;
        long n = big ? (long)U64(src.Read(at, countSize, what), be) : U16(src.Read(at, countSize, what), be);
        if (n > (src.Length - at) / entrySize)
            throw new CorruptDataException($"'{src.Path}' {what} at byte {at} claims {n} entries; the file is too short for that.", src.Path);
        byte[] entries = src.Read(at + countSize, checked((int)n * entrySize), what).ToArray();
        long nextAt = at + countSize + n * entrySize;
        next = big ? (long)U64(src.Read(nextAt, 8, what), be) : U32(src.Read(nextAt, 4, what), be);

        int width = 0, height = 0, bits = 1, sampleFormat = 1, spp = 1, compression = 1, photometric = 1, predictor = 1;
        int rowsPerStrip = int.MaxValue, tileWidth = 0, tileHeight = 0, resolutionUnit = 2;
        uint subfile = 0;
        long[] stripOffsets = [], stripCounts = [], tileOffsets = [], tileCounts = [];
        string? description = null;
        double? xres = null, yres = null;
        for (int e = 0; e < n; e++)
        {
            var entry = entries.AsSpan(e * entrySize, entrySize);
            ushort tag = U16(entry, be), type = U16(entry[2..], be);
            long count = big ? (long)U64(entry[4..], be) : U32(entry[4..], be);
            int size = TiffType.Size(type);
            if (size == 0 || count <= 0) continue;
            var field = entry[(big ? 12 : 8)..];
            if (count > src.Length / size)
                throw new CorruptDataException($"'{src.Path}' {what} tag {tag} claims {count} values; the file is too short for that.", src.Path);
            long bytes = count * size;
            // Values that fit in the entry are stored there, left-aligned; others live at the offset it holds.
            ReadOnlySpan<byte> value = bytes <= inline ? field[..(int)bytes]
                : src.Read(big ? (long)U64(field, be) : U32(field, be), checked((int)bytes), $"{what} tag {tag}");
            switch (tag)
            {
                case TiffTag.NewSubfileType: subfile = (uint)Number(value, type, be); break;
                case TiffTag.ImageWidth: width = ToInt(Number(value, type, be)); break;
                case TiffTag.ImageLength: height = ToInt(Number(value, type, be)); break;
                case TiffTag.BitsPerSample: bits = ToInt(Number(value, type, be)); break;
                case TiffTag.Compression: compression = ToInt(Number(value, type, be)); break;
                case TiffTag.Photometric: photometric = ToInt(Number(value, type, be)); break;
                case TiffTag.ImageDescription: description = Text(value); break;
                case TiffTag.StripOffsets: stripOffsets = Numbers(value, type, count, be); break;
                case TiffTag.SamplesPerPixel: spp = ToInt(Number(value, type, be)); break;
                case TiffTag.RowsPerStrip: rowsPerStrip = ToInt(Number(value, type, be)); break;
                case TiffTag.StripByteCounts: stripCounts = Numbers(value, type, count, be); break;
                case TiffTag.XResolution: xres = Ratio(value, type, be); break;
                case TiffTag.YResolution: yres = Ratio(value, type, be); break;
                case TiffTag.ResolutionUnit: resolutionUnit = ToInt(Number(value, type, be)); break;
                case TiffTag.Predictor: predictor = ToInt(Number(value, type, be)); break;
                case TiffTag.TileWidth: tileWidth = ToInt(Number(value, type, be)); break;
                case TiffTag.TileLength: tileHeight = ToInt(Number(value, type, be)); break;
                case TiffTag.TileOffsets: tileOffsets = Numbers(value, type, count, be); break;
                case TiffTag.TileByteCounts: tileCounts = Numbers(value, type, count, be); break;
                case TiffTag.SampleFormat: sampleFormat = ToInt(Number(value, type, be)); break;
            }
        }
        bool tiled = tileWidth > 0 && tileHeight > 0;
        return new TiffPage
        {
            Index = index,
            BigEndian = be,
            Width = width,
            Height = height,
            BitsPerSample = bits,
            SampleFormat = sampleFormat,
            SamplesPerPixel = spp,
            Compression = compression,
            Photometric = photometric,
            Predictor = predictor,
            NewSubfileType = subfile,
            RowsPerStrip = Math.Clamp(rowsPerStrip, 1, Math.Max(1, height)),
            TileWidth = tiled ? tileWidth : 0,
            TileHeight = tiled ? tileHeight : 0,
            Offsets = tiled ? tileOffsets : stripOffsets,
            ByteCounts = tiled ? tileCounts : stripCounts,
            Description = description,
            XResolution = xres,
            YResolution = yres,
            ResolutionUnit = resolutionUnit,
        };
    }

    private static int ToInt(ulong v) => v > int.MaxValue ? int.MaxValue : (int)v;

    /// <summary>The first value of an integer field (BYTE, SHORT, LONG, LONG8 and their signed and IFD variants).</summary>
    private static ulong Number(ReadOnlySpan<byte> v, ushort type, bool be) => type switch
    {
        TiffType.Byte or TiffType.SByte or TiffType.Undefined => v[0],
        TiffType.Short or TiffType.SShort => U16(v, be),
        TiffType.Long or TiffType.SLong or TiffType.Ifd => U32(v, be),
        TiffType.Long8 or TiffType.SLong8 or TiffType.Ifd8 => U64(v, be),
        _ => 0,
    };

    private static long[] Numbers(ReadOnlySpan<byte> v, ushort type, long count, bool be)
    {
        int size = TiffType.Size(type);
        var result = new long[count];
        for (int i = 0; i < result.Length; i++) result[i] = (long)Number(v.Slice(i * size, size), type, be);
        return result;
    }

    /// <summary>A RATIONAL (or FLOAT/DOUBLE) field as a double; null when absent or its denominator is 0.</summary>
    private static double? Ratio(ReadOnlySpan<byte> v, ushort type, bool be)
    {
        double r = type switch
        {
            TiffType.Rational => U32(v[4..], be) == 0 ? 0 : (double)U32(v, be) / U32(v[4..], be),
            TiffType.Float => be ? BinaryPrimitives.ReadSingleBigEndian(v) : BinaryPrimitives.ReadSingleLittleEndian(v),
            TiffType.Double => be ? BinaryPrimitives.ReadDoubleBigEndian(v) : BinaryPrimitives.ReadDoubleLittleEndian(v),
            _ => Number(v, type, be),
        };
        return r > 0 && double.IsFinite(r) ? r : null;
    }

    /// <summary>ASCII text up to the first NUL; UTF-8 when valid (tifffile), else Latin-1 (ImageJ's 'µ' is byte 0xB5).</summary>
    private static string Text(ReadOnlySpan<byte> v)
    {
        int nul = v.IndexOf((byte)0);
        if (nul >= 0) v = v[..nul];
        try { return new UTF8Encoding(false, true).GetString(v); }
        catch (DecoderFallbackException) { return Encoding.Latin1.GetString(v); }
    }

    private static ushort U16(ReadOnlySpan<byte> b, bool be) => be ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);
    private static uint U32(ReadOnlySpan<byte> b, bool be) => be ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);
    private static ulong U64(ReadOnlySpan<byte> b, bool be) => be ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b);

    private static string Hex(ReadOnlySpan<byte> b) => b.IsEmpty ? "nothing (the file is shorter than a TIFF header)" : Convert.ToHexString(b);

    /// <summary>
    /// Reads through a window: IFDs and their values usually sit close together. The first window is small (most
    /// single-page files keep everything in their first kilobytes); later ones are 64 KiB for long IFD chains.
    /// </summary>
    private sealed class Window(SafeFileHandle file, long length, string path)
    {
        private byte[] _buffer = new byte[4096];
        private long _start = -1;
        private int _count;

        public long Length => length;
        public string Path => path;

        /// <summary>Bytes [offset, offset + count); valid until the next call.</summary>
        public ReadOnlySpan<byte> Read(long offset, int count, string what)
        {
            if (offset < 0 || offset > length - count)
                throw new CorruptDataException($"'{path}' is truncated or damaged: {what} at byte {offset} (+{count}) lies beyond the end of the file ({length} bytes).", path);
            if (_start < 0 || offset < _start || offset + count > _start + _count)
            {
                if (_start >= 0 && _buffer.Length < 1 << 16) _buffer = new byte[1 << 16];
                if (count > _buffer.Length)
                {
                    var big = new byte[count];
                    Fill(big, offset);
                    return big;
                }
                _start = offset;
                _count = (int)Math.Min(_buffer.Length, length - offset);
                Fill(_buffer.AsSpan(0, _count), offset);
            }
            return _buffer.AsSpan((int)(offset - _start), count);
        }

        private void Fill(Span<byte> target, long offset)
        {
            int done = Zarr.FileStore.ReadUpTo(file, offset, target);
            if (done < target.Length) throw new CorruptDataException($"'{path}' ended while reading its directory at byte {offset + done}.", path);
        }
    }
}

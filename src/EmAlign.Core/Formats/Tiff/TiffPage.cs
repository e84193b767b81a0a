using System.Buffers;
using EmAlign.Codecs;
using EmAlign.Diagnostics;
using EmAlign.Volumes;
using Microsoft.Win32.SafeHandles;

namespace EmAlign.Formats.Tiff;

/// <summary>
/// One image file directory (IFD) as far as a grayscale reader needs it, and the decoding of its pixels
/// (strips or tiles, any supported compression and predictor) into a C-order, native little-endian plane.
/// </summary>
internal sealed record TiffPage
{
    /// <summary>Position of this IFD in the file's chain (0-based), or of the synthesised ImageJ plane.</summary>
    public required int Index { get; init; }

    /// <summary>File byte order is big-endian ("MM").</summary>
    public required bool BigEndian { get; init; }

    public required int Width { get; init; }
    public required int Height { get; init; }
    public int BitsPerSample { get; init; } = 1;
    public int SampleFormat { get; init; } = 1;
    public int SamplesPerPixel { get; init; } = 1;
    public int Compression { get; init; } = TiffCompression.None;
    public int Photometric { get; init; } = 1;
    public int Predictor { get; init; } = 1;
    public uint NewSubfileType { get; init; }

    /// <summary>Rows per strip, at most <see cref="Height"/> (strip layout only).</summary>
    public int RowsPerStrip { get; init; }

    /// <summary>Tile size in pixels; 0 for a strip layout.</summary>
    public int TileWidth { get; init; }
    public int TileHeight { get; init; }

    /// <summary>Byte offsets of the strips or tiles, row-major.</summary>
    public required long[] Offsets { get; init; }

    /// <summary>Stored byte counts of the strips or tiles (empty when the file omits them).</summary>
    public required long[] ByteCounts { get; init; }

    public string? Description { get; init; }

    /// <summary>Pixels per resolution unit along x and y (null when absent or zero).</summary>
    public double? XResolution { get; init; }
    public double? YResolution { get; init; }

    /// <summary>1 none, 2 inch (TIFF's default), 3 centimetre.</summary>
    public int ResolutionUnit { get; init; } = 2;

    /// <summary>Reduced-resolution copies (thumbnails, pyramid levels) and transparency masks are not z planes.</summary>
    public bool IsReducedOrMask => (NewSubfileType & 0b101) != 0;

    public bool IsTiled => TileWidth > 0;

    public int BytesPerSample => BitsPerSample / 8;

    /// <summary>Decoded size of the plane in bytes.</summary>
    public long PlaneBytes => (long)Width * Height * BytesPerSample;

    private static readonly ZlibCodec s_zlib = new();

    /// <summary>
    /// The voxel type, after checking that everything this reader must understand is supported.
    /// Throws <see cref="InvalidVolumeException"/> saying what was found and what is supported.
    /// </summary>
    public DataType CheckSupported(string path)
    {
        string where = $"'{path}' page {Index}";
        if (SamplesPerPixel != 1)
            throw new InvalidVolumeException($"{where} has {SamplesPerPixel} samples per pixel (RGB or multi-channel); expected grayscale images with 1 sample per pixel.", path);
        if (Photometric is not (0 or 1))
            throw new InvalidVolumeException($"{where} has PhotometricInterpretation {Photometric} ({PhotometricName(Photometric)}); expected grayscale: 1 (BlackIsZero) or 0 (WhiteIsZero).", path);
        if (!TiffCompression.IsSupported(Compression))
            throw new InvalidVolumeException($"{where} uses compression {TiffCompression.Describe(Compression)}; supported are {TiffCompression.SupportedList}.", path);
        var type = (SampleFormat, BitsPerSample) switch
        {
            (1 or 4, 8) => DataType.UInt8,
            (1 or 4, 16) => DataType.UInt16,
            (1 or 4, 32) => DataType.UInt32,
            (1 or 4, 64) => DataType.UInt64,
            (2, 8) => DataType.Int8,
            (2, 16) => DataType.Int16,
            (2, 32) => DataType.Int32,
            (2, 64) => DataType.Int64,
            (3, 32) => DataType.Float32,
            (3, 64) => DataType.Float64,
            _ => throw new InvalidVolumeException(
                $"{where} has SampleFormat {SampleFormat} ({SampleFormatName(SampleFormat)}) with {BitsPerSample} bits per sample; supported are unsigned and signed integers of 8, 16, 32 or 64 bits and IEEE floats of 32 or 64 bits.", path),
        };
        if (Predictor is not (1 or 2 or 3))
            throw new InvalidVolumeException($"{where} uses Predictor {Predictor}; supported are 1 (none), 2 (horizontal) and 3 (floating point).", path);
        if (Predictor == 3 && !type.IsFloat())
            throw new InvalidVolumeException($"{where} uses the floating-point predictor (3) on {type.Name()} samples; expected it only with float32 or float64.", path);
        if (Width <= 0 || Height <= 0)
            throw new InvalidVolumeException($"{where} is {Width} x {Height} pixels; expected a positive size.", path);
        if (PlaneBytes > Array.MaxLength)
            throw new InvalidVolumeException($"{where} is {Width} x {Height} {type.Name()} ({PlaneBytes} bytes); one page must fit in {Array.MaxLength} bytes to be a chunk.", path);
        if (IsTiled && (long)TileWidth * TileHeight * BytesPerSample > Array.MaxLength)
            throw new InvalidVolumeException($"{where} has {TileWidth} x {TileHeight} tiles; expected tiles of at most {Array.MaxLength} bytes.", path);
        int blocks = IsTiled
            ? checked((int)(Box(Width, TileWidth) * Box(Height, TileHeight)))
            : (int)Box(Height, RowsPerStrip);
        if (Offsets.Length < blocks)
            throw new InvalidVolumeException($"{where} lists {Offsets.Length} {(IsTiled ? "tile" : "strip")} offsets; its layout needs {blocks}.", path);
        if (ByteCounts.Length < blocks && Compression != TiffCompression.None)
            throw new InvalidVolumeException($"{where} lists {ByteCounts.Length} {(IsTiled ? "tile" : "strip")} byte counts; its compressed layout needs {blocks}.", path);
        return type;

        static long Box(long size, long block) => (size + block - 1) / block;
    }

    /// <summary>
    /// Decodes the whole plane into <paramref name="destination"/> (<see cref="PlaneBytes"/> bytes, C order,
    /// native little-endian). Throws <see cref="CorruptDataException"/> naming the file and page for truncated or damaged data.
    /// </summary>
    public void Decode(SafeFileHandle file, string path, Span<byte> destination)
    {
        if (destination.Length != PlaneBytes)
            throw new ArgumentException($"Destination holds {destination.Length} bytes; page {Index} of '{path}' needs {PlaneBytes}.", nameof(destination));
        if (IsTiled) DecodeTiles(file, path, destination);
        else DecodeStrips(file, path, destination);
    }

    private void DecodeStrips(SafeFileHandle file, string path, Span<byte> destination)
    {
        int rowBytes = Width * BytesPerSample;
        int strips = (Height + RowsPerStrip - 1) / RowsPerStrip;
        for (int s = 0; s < strips;)
        {
            int row0 = s * RowsPerStrip;
            if (Compression == TiffCompression.None)
            {
                // Neighbouring strips stored back to back are read with one call (ImageJ and tifffile write them so).
                int end = s + 1;
                while (end < strips && Offsets[end] == Offsets[end - 1] + (long)RowsPerStrip * rowBytes && StoredCount(end - 1) >= (long)RowsPerStrip * rowBytes) end++;
                int rows = Math.Min(end * RowsPerStrip, Height) - row0;
                var target = destination.Slice(row0 * rowBytes, rows * rowBytes);
                long lastStored = StoredCount(end - 1);
                long lastNeeded = target.Length - (long)(end - 1 - s) * RowsPerStrip * rowBytes;
                if (lastStored < lastNeeded)
                    throw Truncated(path, end - 1, "strip", $"stores {lastStored} bytes; {lastNeeded} are needed");
                ReadAt(file, path, Offsets[s], target, s, "strip");
                ToNative(target, Width);
                s = end;
            }
            else
            {
                int rows = Math.Min(RowsPerStrip, Height - row0);
                var target = destination.Slice(row0 * rowBytes, rows * rowBytes);
                if (rows == RowsPerStrip)
                {
                    DecodeCompressed(file, path, s, "strip", target, target.Length);
                }
                else
                {
                    // Some writers pad the last strip to RowsPerStrip rows: decode it whole, keep the rows that exist.
                    byte[] full = ArrayPool<byte>.Shared.Rent(RowsPerStrip * rowBytes);
                    try
                    {
                        DecodeCompressed(file, path, s, "strip", full.AsSpan(0, RowsPerStrip * rowBytes), target.Length);
                        full.AsSpan(0, target.Length).CopyTo(target);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(full);
                    }
                }
                ToNative(target, Width);
                s++;
            }
        }
    }

    private void DecodeTiles(SafeFileHandle file, string path, Span<byte> destination)
    {
        int bps = BytesPerSample;
        int across = (Width + TileWidth - 1) / TileWidth, down = (Height + TileHeight - 1) / TileHeight;
        int tileRowBytes = TileWidth * bps;
        byte[] rented = ArrayPool<byte>.Shared.Rent(tileRowBytes * TileHeight);
        try
        {
            var tile = rented.AsSpan(0, tileRowBytes * TileHeight);
            for (int ty = 0; ty < down; ty++)
                for (int tx = 0; tx < across; tx++)
                {
                    int t = ty * across + tx;
                    // Every tile decodes to the full tile size, even at the right and bottom edges; crop while copying.
                    if (Compression == TiffCompression.None)
                    {
                        if (StoredCount(t) < tile.Length) throw Truncated(path, t, "tile", $"stores {StoredCount(t)} bytes; {tile.Length} are needed");
                        ReadAt(file, path, Offsets[t], tile, t, "tile");
                    }
                    else
                    {
                        DecodeCompressed(file, path, t, "tile", tile, tile.Length);
                    }
                    ToNative(tile, TileWidth);
                    int x0 = tx * TileWidth, y0 = ty * TileHeight;
                    int copyBytes = Math.Min(TileWidth, Width - x0) * bps;
                    int rows = Math.Min(TileHeight, Height - y0);
                    for (int r = 0; r < rows; r++)
                        tile.Slice(r * tileRowBytes, copyBytes).CopyTo(destination.Slice(((y0 + r) * Width + x0) * bps, copyBytes));
                }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Bytes stored for strip/tile <paramref name="block"/>; files that omit byte counts are trusted to hold a full uncompressed block.</summary>
    private long StoredCount(int block) => block < ByteCounts.Length ? ByteCounts[block] : long.MaxValue;

    /// <summary>Decompresses strip/tile <paramref name="block"/> into <paramref name="target"/>; fewer than <paramref name="needed"/> bytes is damage.</summary>
    private void DecodeCompressed(SafeFileHandle file, string path, int block, string kind, Span<byte> target, int needed)
    {
        long stored = ByteCounts[block];
        if (stored > int.MaxValue)
            throw new CorruptDataException($"'{path}' page {Index} {kind} {block} claims {stored} compressed bytes; expected at most {int.MaxValue}.", path);
        byte[] rented = ArrayPool<byte>.Shared.Rent((int)stored);
        try
        {
            var packed = rented.AsSpan(0, (int)stored);
            ReadAt(file, path, Offsets[block], packed, block, kind);
            int produced;
            try
            {
                produced = Compression switch
                {
                    TiffCompression.Lzw => TiffLzw.Decode(packed, target),
                    TiffCompression.PackBits => PackBits.Decode(packed, target),
                    _ => s_zlib.Decode(packed, target),
                };
            }
            catch (CorruptDataException e)
            {
                throw new CorruptDataException($"'{path}' page {Index} {kind} {block} ({TiffCompression.Describe(Compression)}): {e.Message}", path, e);
            }
            if (produced < needed)
                throw Truncated(path, block, kind, $"decodes to {produced} bytes; {needed} are needed");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Converts a decoded strip or tile (rows of <paramref name="rowSamples"/> values) from file order to native values.</summary>
    private void ToNative(Span<byte> block, int rowSamples)
    {
        int bps = BytesPerSample;
        if (Predictor == 3)
        {
            TiffPredictor.UndoFloatingPoint(block, rowSamples, bps);
            return;
        }
        if (BigEndian && bps > 1) Zarr.Endian.Swap(block, bps);
        if (Predictor == 2) TiffPredictor.UndoHorizontal(block, rowSamples, bps);
    }

    private void ReadAt(SafeFileHandle file, string path, long offset, Span<byte> target, int block, string kind)
    {
        int done = Zarr.FileStore.ReadUpTo(file, offset, target);
        if (done < target.Length) throw Truncated(path, block, kind, $"at byte {offset} ends with the file after {done} of {target.Length} bytes");
    }

    private CorruptDataException Truncated(string path, int block, string kind, string detail) =>
        new($"'{path}' page {Index} is truncated or damaged: {kind} {block} {detail}.", path);

    private static string PhotometricName(int p) => p switch
    {
        2 => "RGB", 3 => "palette colour", 4 => "transparency mask", 5 => "CMYK", 6 => "YCbCr", 8 => "CIELab", _ => "unknown",
    };

    private static string SampleFormatName(int f) => f switch
    {
        1 => "unsigned integer", 2 => "signed integer", 3 => "IEEE float", 4 => "undefined", 5 => "complex integer", 6 => "complex float", _ => "unknown",
    };
}

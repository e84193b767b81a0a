namespace EmAlign.Formats.Tiff;

/// <summary>TIFF tag numbers this reader and writer use (TIFF 6.0, BigTIFF, Adobe supplements).</summary>
internal static class TiffTag
{
    public const ushort NewSubfileType = 254;
    public const ushort ImageWidth = 256;
    public const ushort ImageLength = 257;
    public const ushort BitsPerSample = 258;
    public const ushort Compression = 259;
    public const ushort Photometric = 262;
    public const ushort ImageDescription = 270;
    public const ushort StripOffsets = 273;
    public const ushort SamplesPerPixel = 277;
    public const ushort RowsPerStrip = 278;
    public const ushort StripByteCounts = 279;
    public const ushort XResolution = 282;
    public const ushort YResolution = 283;
    public const ushort ResolutionUnit = 296;
    public const ushort Software = 305;
    public const ushort Predictor = 317;
    public const ushort TileWidth = 322;
    public const ushort TileLength = 323;
    public const ushort TileOffsets = 324;
    public const ushort TileByteCounts = 325;
    public const ushort SampleFormat = 339;
}

/// <summary>TIFF field types (the "type" of an IFD entry) and their sizes in bytes.</summary>
internal static class TiffType
{
    public const ushort Byte = 1, Ascii = 2, Short = 3, Long = 4, Rational = 5, SByte = 6, Undefined = 7, SShort = 8,
        SLong = 9, SRational = 10, Float = 11, Double = 12, Ifd = 13, Long8 = 16, SLong8 = 17, Ifd8 = 18;

    /// <summary>Bytes per value, or 0 for an unknown type (whose entry is then ignored).</summary>
    public static int Size(ushort type) => type switch
    {
        Byte or Ascii or SByte or Undefined => 1,
        Short or SShort => 2,
        Long or SLong or Float or Ifd => 4,
        Rational or SRational or Double or Long8 or SLong8 or Ifd8 => 8,
        _ => 0,
    };
}

/// <summary>TIFF Compression codes.</summary>
internal static class TiffCompression
{
    public const int None = 1, Lzw = 5, Deflate = 8, PackBits = 32773, OldDeflate = 32946;

    public static bool IsSupported(int code) => code is None or Lzw or Deflate or PackBits or OldDeflate;

    /// <summary>A readable name for messages ("JPEG (7)").</summary>
    public static string Describe(int code) => code switch
    {
        None => "none (1)",
        2 => "CCITT RLE (2)",
        3 => "CCITT fax 3 (3)",
        4 => "CCITT fax 4 (4)",
        Lzw => "LZW (5)",
        6 => "old JPEG (6)",
        7 => "JPEG (7)",
        Deflate => "Deflate (8)",
        PackBits => "PackBits (32773)",
        OldDeflate => "Deflate (32946)",
        34712 => "JPEG 2000 (34712)",
        34887 => "LERC (34887)",
        34925 => "LZMA (34925)",
        50000 => "Zstandard (50000)",
        50001 => "WebP (50001)",
        _ => $"code {code}",
    };

    public const string SupportedList = "none (1), LZW (5), Deflate (8, 32946) and PackBits (32773)";
}

using System.Buffers.Binary;
using System.Text;
using EmAlign.Volumes;

namespace EmAlign.Formats.Tiff;

/// <summary>
/// The byte layout of an uncompressed little-endian z stack as ImageJ writes it, fixed before any pixel is written:
/// header, first IFD (with the ImageJ description and calibration), all planes contiguous from
/// <see cref="DataStart"/>, then the IFDs of planes 1…N-1. Classic TIFF unless the file would pass 4 GiB, then BigTIFF.
/// Because planes are contiguous and described by "images=N", ImageJ and tifffile read it as one z stack.
/// </summary>
internal sealed class TiffStackLayout
{
    private const string SoftwareName = "EmAlign";
    private readonly Field[] _firstFields;
    private readonly Field[] _otherFields;
    private readonly int _otherIfdLength;

    /// <param name="width">Plane width in pixels (x).</param>
    /// <param name="height">Plane height in pixels (y).</param>
    /// <param name="planes">Number of z planes.</param>
    /// <param name="type">Voxel type.</param>
    /// <param name="voxelSize">Calibration written as X/YResolution (pixels per unit) and ImageJ unit/spacing.</param>
    /// <param name="forceBigTiff">Write BigTIFF even when classic TIFF would do.</param>
    public TiffStackLayout(int width, int height, long planes, DataType type, VoxelSize voxelSize, bool forceBigTiff = false)
    {
        Width = width;
        Height = height;
        Planes = planes;
        PlaneBytes = (long)width * height * type.Size();
        BigTiff = forceBigTiff;
        string description = TiffMetadata.ImageJDescription(planes, voxelSize);
        bool calibrated = TiffMetadata.IsCalibrated(voxelSize);
        var xres = TiffMetadata.Rational(calibrated ? 1 / voxelSize.X : 1);
        var yres = TiffMetadata.Rational(calibrated ? 1 / voxelSize.Y : 1);
        while (true)
        {
            _firstFields = Fields(type, description, xres, yres, first: true);
            _otherFields = Fields(type, description, xres, yres, first: false);
            HeaderBytes = BigTiff ? 16 : 8;
            DataStart = AlignUp(HeaderBytes + IfdLength(_firstFields, BigTiff), 16);
            _otherIfdLength = IfdLength(_otherFields, BigTiff);
            TailStart = AlignUp(DataStart + planes * PlaneBytes, 8);
            FileLength = planes > 1 ? TailStart + (planes - 1) * _otherIfdLength : DataStart + PlaneBytes;
            // Classic TIFF holds 32-bit offsets and byte counts: past 4 GiB, switch to BigTIFF.
            if (BigTiff || FileLength <= uint.MaxValue) break;
            BigTiff = true;
        }
    }

    public int Width { get; }
    public int Height { get; }
    public long Planes { get; }
    public long PlaneBytes { get; }
    public bool BigTiff { get; }
    private int HeaderBytes { get; }

    /// <summary>Offset of plane 0; planes follow each other without gaps.</summary>
    public long DataStart { get; }

    /// <summary>Offset of the IFD of plane 1 (IFDs of planes 1…N-1 follow each other).</summary>
    public long TailStart { get; }

    public long FileLength { get; }

    public long PlaneOffset(long plane) => DataStart + plane * PlaneBytes;

    /// <summary>Offset of the IFD describing <paramref name="plane"/>.</summary>
    public long IfdOffset(long plane) => plane == 0 ? HeaderBytes : TailStart + (plane - 1) * _otherIfdLength;

    /// <summary>Bytes [0, <see cref="DataStart"/>): header, first IFD and its values.</summary>
    public byte[] Head()
    {
        var head = new byte[DataStart];
        head[0] = head[1] = (byte)'I';
        if (BigTiff)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(2), 43);
            BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(4), 8);
            BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(8), (ulong)HeaderBytes);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(2), 42);
            BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(4), (uint)HeaderBytes);
        }
        WriteIfd(head.AsSpan(HeaderBytes), 0, _firstFields);
        return head;
    }

    /// <summary>The IFDs of planes [<paramref name="firstPlane"/>, +<paramref name="count"/>) (firstPlane ≥ 1), to be written at <see cref="IfdOffset"/>(firstPlane).</summary>
    public byte[] TailIfds(long firstPlane, int count)
    {
        var bytes = new byte[(long)count * _otherIfdLength];
        for (int i = 0; i < count; i++) WriteIfd(bytes.AsSpan(i * _otherIfdLength, _otherIfdLength), firstPlane + i, _otherFields);
        return bytes;
    }

    private void WriteIfd(Span<byte> target, long plane, Field[] fields)
    {
        long at = IfdOffset(plane);
        long next = plane + 1 < Planes ? IfdOffset(plane + 1) : 0;
        int entrySize = BigTiff ? 20 : 12, countSize = BigTiff ? 8 : 2, inline = BigTiff ? 8 : 4;
        WriteUnsigned(target, BigTiff ? 8 : 2, (ulong)fields.Length);
        int extra = countSize + fields.Length * entrySize + (BigTiff ? 8 : 4);
        WriteUnsigned(target[(countSize + fields.Length * entrySize)..], BigTiff ? 8 : 4, (ulong)next);
        for (int i = 0; i < fields.Length; i++)
        {
            var f = fields[i];
            byte[] value = f.Tag == TiffTag.StripOffsets ? Unsigned(BigTiff ? 8 : 4, (ulong)PlaneOffset(plane)) : f.Value;
            var e = target.Slice(countSize + i * entrySize, entrySize);
            BinaryPrimitives.WriteUInt16LittleEndian(e, f.Tag);
            BinaryPrimitives.WriteUInt16LittleEndian(e[2..], f.Type);
            WriteUnsigned(e[4..], BigTiff ? 8 : 4, (ulong)f.Count);
            var slot = e[(BigTiff ? 12 : 8)..];
            if (value.Length <= inline)
            {
                value.CopyTo(slot);
            }
            else
            {
                // Values that do not fit the entry go right after the IFD, on word boundaries.
                WriteUnsigned(slot, inline, (ulong)(at + extra));
                value.CopyTo(target[extra..]);
                extra += AlignUp(value.Length, 2);
            }
        }
    }

    private int IfdLength(Field[] fields, bool big)
    {
        int inline = big ? 8 : 4;
        int length = (big ? 8 + 8 : 2 + 4) + fields.Length * (big ? 20 : 12);
        foreach (var f in fields)
            if (f.Value.Length > inline) length += AlignUp(f.Value.Length, 2);
        return length;
    }

    /// <summary>The entries of a plane's IFD, sorted by tag; the strip offset is filled per plane.</summary>
    private Field[] Fields(DataType type, string description, (uint, uint) xres, (uint, uint) yres, bool first)
    {
        ushort offsetType = BigTiff ? TiffType.Long8 : TiffType.Long;
        int offsetSize = BigTiff ? 8 : 4;
        var fields = new List<Field>
        {
            new(TiffTag.NewSubfileType, TiffType.Long, 1, Unsigned(4, 0)),
            new(TiffTag.ImageWidth, TiffType.Long, 1, Unsigned(4, (ulong)Width)),
            new(TiffTag.ImageLength, TiffType.Long, 1, Unsigned(4, (ulong)Height)),
            new(TiffTag.BitsPerSample, TiffType.Short, 1, Unsigned(2, (ulong)type.Size() * 8)),
            new(TiffTag.Compression, TiffType.Short, 1, Unsigned(2, TiffCompression.None)),
            new(TiffTag.Photometric, TiffType.Short, 1, Unsigned(2, 1)),
        };
        if (first) fields.Add(Ascii(TiffTag.ImageDescription, description));
        fields.Add(new(TiffTag.StripOffsets, offsetType, 1, Unsigned(offsetSize, 0)));
        fields.Add(new(TiffTag.SamplesPerPixel, TiffType.Short, 1, Unsigned(2, 1)));
        fields.Add(new(TiffTag.RowsPerStrip, TiffType.Long, 1, Unsigned(4, (ulong)Height)));
        fields.Add(new(TiffTag.StripByteCounts, offsetType, 1, Unsigned(offsetSize, (ulong)PlaneBytes)));
        fields.Add(new(TiffTag.XResolution, TiffType.Rational, 1, RationalBytes(xres)));
        fields.Add(new(TiffTag.YResolution, TiffType.Rational, 1, RationalBytes(yres)));
        fields.Add(new(TiffTag.ResolutionUnit, TiffType.Short, 1, Unsigned(2, 1)));
        if (first) fields.Add(Ascii(TiffTag.Software, SoftwareName));
        fields.Add(new(TiffTag.SampleFormat, TiffType.Short, 1, Unsigned(2, type.IsFloat() ? 3u : type.IsSigned() ? 2u : 1u)));
        return [.. fields];
    }

    private static Field Ascii(ushort tag, string text)
    {
        var bytes = new byte[Encoding.ASCII.GetByteCount(text) + 1];
        Encoding.ASCII.GetBytes(text, bytes);
        return new Field(tag, TiffType.Ascii, bytes.Length, bytes);
    }

    private static byte[] RationalBytes((uint Num, uint Den) r)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(b, r.Num);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), r.Den);
        return b;
    }

    private static byte[] Unsigned(int size, ulong value)
    {
        var b = new byte[size];
        WriteUnsigned(b, size, value);
        return b;
    }

    private static void WriteUnsigned(Span<byte> target, int size, ulong value)
    {
        switch (size)
        {
            case 2: BinaryPrimitives.WriteUInt16LittleEndian(target, (ushort)value); break;
            case 4: BinaryPrimitives.WriteUInt32LittleEndian(target, (uint)value); break;
            default: BinaryPrimitives.WriteUInt64LittleEndian(target, value); break;
        }
    }

    private static long AlignUp(long value, int alignment) => (value + alignment - 1) / alignment * alignment;

    private static int AlignUp(int value, int alignment) => (value + alignment - 1) / alignment * alignment;

    private readonly record struct Field(ushort Tag, ushort Type, long Count, byte[] Value);
}

using System.Buffers.Binary;
using EmAlign.Diagnostics;
using EmAlign.Volumes;

namespace EmAlign.Formats.WebKnossos;

/// <summary>How WKW blocks are stored.</summary>
public enum WkwBlockType : byte
{
    Raw = 1,
    Lz4 = 2,
    Lz4HC = 3,
}

/// <summary>
/// The 16-byte WKW header (also the whole of header.wkw): magic "WKW", version 1, log2 of the block side (voxels) and of
/// the file side (blocks), block type, voxel type, bytes per voxel (all channels) and the offset of block 0.
/// </summary>
public sealed record WkwHeader(int BlockLog2, int FileLog2, WkwBlockType BlockType, DataType VoxelType, int VoxelBytes, ulong DataOffset)
{
    public const int Size = 16;

    /// <summary>Voxels per block side.</summary>
    public int BlockSide => 1 << BlockLog2;

    /// <summary>Blocks per file side.</summary>
    public int FileBlocks => 1 << FileLog2;

    /// <summary>Voxels per file side ("cubeLength").</summary>
    public int FileSide => 1 << (BlockLog2 + FileLog2);

    /// <summary>Blocks per file.</summary>
    public int BlockCount => 1 << (3 * FileLog2);

    public int Channels => VoxelBytes / VoxelType.Size();

    /// <summary>Bytes of one decoded block.</summary>
    public int BlockBytes => (1 << (3 * BlockLog2)) * VoxelBytes;

    public bool Compressed => BlockType != WkwBlockType.Raw;

    /// <summary>Where block 0 starts in a data file: after the header, and the jump table when compressed.</summary>
    public ulong DataFileOffset => Compressed ? (ulong)(Size + 8 * BlockCount) : Size;

    public static WkwHeader Parse(ReadOnlySpan<byte> b, string file)
    {
        if (b.Length < Size) throw new CorruptDataException($"WKW file '{file}' holds {b.Length} bytes; its header alone is {Size} bytes (truncated).", file);
        if (b[0] != 'W' || b[1] != 'K' || b[2] != 'W')
            throw new CorruptDataException($"'{file}' does not start with \"WKW\" (found {Convert.ToHexString(b[..3])}); expected a WKW file.", file);
        if (b[3] != 1) throw new InvalidVolumeException($"'{file}' is WKW version {b[3]}; expected version 1.", file);
        int blockLog2 = b[4] & 0x0F, fileLog2 = b[4] >> 4;
        if (blockLog2 > 10 || fileLog2 > 10)
            throw new InvalidVolumeException($"'{file}' declares {1 << blockLog2}-voxel blocks and {1 << fileLog2} blocks per file side; expected at most 1024 each.", file);
        if (b[5] is < 1 or > 3) throw new InvalidVolumeException($"'{file}' has block type {b[5]}; expected 1 (raw), 2 (LZ4) or 3 (LZ4HC).", file);
        DataType type = b[6] switch
        {
            1 => DataType.UInt8, 2 => DataType.UInt16, 3 => DataType.UInt32, 4 => DataType.UInt64, 5 => DataType.Float32, 6 => DataType.Float64,
            7 => DataType.Int8, 8 => DataType.Int16, 9 => DataType.Int32, 10 => DataType.Int64,
            _ => throw new InvalidVolumeException($"'{file}' has voxel type {b[6]}; expected 1..10 (uint8 .. int64).", file),
        };
        int voxelBytes = b[7];
        if (voxelBytes < type.Size() || voxelBytes % type.Size() != 0)
            throw new InvalidVolumeException($"'{file}' has {voxelBytes} bytes per voxel for {type.Name()}; expected a multiple of {type.Size()}.", file);
        return new WkwHeader(blockLog2, fileLog2, (WkwBlockType)b[5], type, voxelBytes, BinaryPrimitives.ReadUInt64LittleEndian(b[8..]));
    }

    public void Write(Span<byte> b)
    {
        b[0] = (byte)'W'; b[1] = (byte)'K'; b[2] = (byte)'W'; b[3] = 1;
        b[4] = (byte)(FileLog2 << 4 | BlockLog2);
        b[5] = (byte)BlockType;
        b[6] = VoxelType switch
        {
            DataType.UInt8 => 1, DataType.UInt16 => 2, DataType.UInt32 => 3, DataType.UInt64 => 4, DataType.Float32 => 5, DataType.Float64 => 6,
            DataType.Int8 => 7, DataType.Int16 => 8, DataType.Int32 => 9, _ => 10,
        };
        b[7] = (byte)VoxelBytes;
        BinaryPrimitives.WriteUInt64LittleEndian(b[8..], DataOffset);
    }

    /// <summary>Morton (Z-order) index of block (x, y, z) inside a file: bit i of x, y, z goes to bit 3i, 3i+1, 3i+2.</summary>
    public static long Morton(int x, int y, int z) => (long)(Spread(x) | Spread(y) << 1 | Spread(z) << 2);

    private static ulong Spread(int v)
    {
        ulong x = (uint)v & 0x1FFFFF;
        x = (x | x << 32) & 0x1F00000000FFFF;
        x = (x | x << 16) & 0x1F0000FF0000FF;
        x = (x | x << 8) & 0x100F00F00F00F00F;
        x = (x | x << 4) & 0x10C30C30C30C30C3;
        x = (x | x << 2) & 0x1249249249249249;
        return x;
    }
}

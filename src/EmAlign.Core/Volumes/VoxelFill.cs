using System.Runtime.InteropServices;

namespace EmAlign.Volumes;

/// <summary>Fills byte buffers with a typed value.</summary>
internal static class VoxelFill
{
    public static void Fill(Span<byte> bytes, DataType type, double value)
    {
        if (value == 0 && !double.IsNaN(value)) { bytes.Clear(); return; }
        switch (type)
        {
            case DataType.UInt8: bytes.Fill((byte)value); break;
            case DataType.Int8: bytes.Fill(unchecked((byte)(sbyte)value)); break;
            case DataType.UInt16: MemoryMarshal.Cast<byte, ushort>(bytes).Fill((ushort)value); break;
            case DataType.Int16: MemoryMarshal.Cast<byte, short>(bytes).Fill((short)value); break;
            case DataType.UInt32: MemoryMarshal.Cast<byte, uint>(bytes).Fill((uint)value); break;
            case DataType.Int32: MemoryMarshal.Cast<byte, int>(bytes).Fill((int)value); break;
            case DataType.UInt64: MemoryMarshal.Cast<byte, ulong>(bytes).Fill((ulong)value); break;
            case DataType.Int64: MemoryMarshal.Cast<byte, long>(bytes).Fill((long)value); break;
            case DataType.Float32: MemoryMarshal.Cast<byte, float>(bytes).Fill((float)value); break;
            default: MemoryMarshal.Cast<byte, double>(bytes).Fill(value); break;
        }
    }
}

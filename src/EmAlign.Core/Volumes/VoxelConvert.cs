using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace EmAlign.Volumes;

/// <summary>Element-type conversions between stored voxels and float32 working buffers.</summary>
public static class VoxelConvert
{
    /// <summary>Converts native-endian voxels of <paramref name="type"/> to float32.</summary>
    public static void ToSingle(ReadOnlySpan<byte> source, DataType type, Span<float> destination)
    {
        switch (type)
        {
            case DataType.UInt8: TensorPrimitives.ConvertChecked<byte, float>(source, destination); break;
            case DataType.Int8: TensorPrimitives.ConvertChecked<sbyte, float>(MemoryMarshal.Cast<byte, sbyte>(source), destination); break;
            case DataType.UInt16: TensorPrimitives.ConvertChecked<ushort, float>(MemoryMarshal.Cast<byte, ushort>(source), destination); break;
            case DataType.Int16: TensorPrimitives.ConvertChecked<short, float>(MemoryMarshal.Cast<byte, short>(source), destination); break;
            case DataType.UInt32: TensorPrimitives.ConvertChecked<uint, float>(MemoryMarshal.Cast<byte, uint>(source), destination); break;
            case DataType.Int32: TensorPrimitives.ConvertChecked<int, float>(MemoryMarshal.Cast<byte, int>(source), destination); break;
            case DataType.UInt64: TensorPrimitives.ConvertChecked<ulong, float>(MemoryMarshal.Cast<byte, ulong>(source), destination); break;
            case DataType.Int64: TensorPrimitives.ConvertChecked<long, float>(MemoryMarshal.Cast<byte, long>(source), destination); break;
            case DataType.Float32: MemoryMarshal.Cast<byte, float>(source).CopyTo(destination); break;
            default: TensorPrimitives.ConvertTruncating<double, float>(MemoryMarshal.Cast<byte, double>(source), destination); break;
        }
    }

    /// <summary>Converts float32 to voxels of <paramref name="type"/>, rounding to nearest and clamping to the type's range.</summary>
    public static void FromSingle(ReadOnlySpan<float> source, DataType type, Span<byte> destination)
    {
        switch (type)
        {
            case DataType.Float32: MemoryMarshal.AsBytes(source).CopyTo(destination); return;
            case DataType.Float64: TensorPrimitives.ConvertChecked<float, double>(source, MemoryMarshal.Cast<byte, double>(destination)); return;
        }
        double lo = type switch { DataType.UInt8 or DataType.UInt16 or DataType.UInt32 or DataType.UInt64 => 0, DataType.Int8 => sbyte.MinValue, DataType.Int16 => short.MinValue, DataType.Int32 => int.MinValue, _ => long.MinValue };
        double hi = type switch { DataType.UInt8 => byte.MaxValue, DataType.Int8 => sbyte.MaxValue, DataType.UInt16 => ushort.MaxValue, DataType.Int16 => short.MaxValue, DataType.UInt32 => uint.MaxValue, DataType.Int32 => int.MaxValue, DataType.UInt64 => ulong.MaxValue, _ => long.MaxValue };
        int es = type.Size();
        for (int i = 0; i < source.Length; i++)
        {
            float f = source[i];
            double v = float.IsNaN(f) ? 0 : Math.Clamp(Math.Round((double)f), lo, hi);
            var d = destination.Slice(i * es, es);
            switch (type)
            {
                case DataType.UInt8: d[0] = (byte)v; break;
                case DataType.Int8: d[0] = unchecked((byte)(sbyte)v); break;
                case DataType.UInt16: MemoryMarshal.Write(d, (ushort)v); break;
                case DataType.Int16: MemoryMarshal.Write(d, (short)v); break;
                case DataType.UInt32: MemoryMarshal.Write(d, (uint)v); break;
                case DataType.Int32: MemoryMarshal.Write(d, (int)v); break;
                case DataType.UInt64: MemoryMarshal.Write(d, (ulong)v); break;
                default: MemoryMarshal.Write(d, (long)v); break;
            }
        }
    }
}

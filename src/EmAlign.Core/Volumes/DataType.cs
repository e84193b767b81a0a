namespace EmAlign.Volumes;

/// <summary>Element type of a volume's voxels (per channel).</summary>
public enum DataType
{
    UInt8, Int8, UInt16, Int16, UInt32, Int32, UInt64, Int64, Float32, Float64,
}

/// <summary>Sizes and names of <see cref="DataType"/>, in numpy's vocabulary.</summary>
public static class DataTypes
{
    public static int Size(this DataType t) => t switch
    {
        DataType.UInt8 or DataType.Int8 => 1,
        DataType.UInt16 or DataType.Int16 => 2,
        DataType.UInt32 or DataType.Int32 or DataType.Float32 => 4,
        _ => 8,
    };

    public static bool IsFloat(this DataType t) => t is DataType.Float32 or DataType.Float64;

    public static bool IsSigned(this DataType t) => t is DataType.Int8 or DataType.Int16 or DataType.Int32 or DataType.Int64 or DataType.Float32 or DataType.Float64;

    /// <summary>numpy name: "uint8", "int16", "float32", ...</summary>
    public static string Name(this DataType t) => t switch
    {
        DataType.UInt8 => "uint8", DataType.Int8 => "int8", DataType.UInt16 => "uint16", DataType.Int16 => "int16",
        DataType.UInt32 => "uint32", DataType.Int32 => "int32", DataType.UInt64 => "uint64", DataType.Int64 => "int64",
        DataType.Float32 => "float32", _ => "float64",
    };

    /// <summary>numpy kind letter and size as in "&lt;u2": 'u', 'i' or 'f'.</summary>
    public static char Kind(this DataType t) => t.IsFloat() ? 'f' : t.IsSigned() ? 'i' : 'u';

    /// <summary>Parses a numpy name ("uint16", "float32") or N5/Zarr v3 name (same words).</summary>
    public static bool TryParse(string? name, out DataType type)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "uint8": case "u1": type = DataType.UInt8; return true;
            case "int8": case "i1": type = DataType.Int8; return true;
            case "uint16": case "u2": type = DataType.UInt16; return true;
            case "int16": case "i2": type = DataType.Int16; return true;
            case "uint32": case "u4": type = DataType.UInt32; return true;
            case "int32": case "i4": type = DataType.Int32; return true;
            case "uint64": case "u8": type = DataType.UInt64; return true;
            case "int64": case "i8": type = DataType.Int64; return true;
            case "float32": case "f4": case "float": type = DataType.Float32; return true;
            case "float64": case "f8": case "double": type = DataType.Float64; return true;
            default: type = default; return false;
        }
    }

    public static DataType Parse(string name) => TryParse(name, out var t) ? t
        : throw new ArgumentException($"'{name}' is not a supported data type: expected one of uint8, int8, uint16, int16, uint32, int32, uint64, int64, float32, float64.", nameof(name));

    /// <summary>Parses a numpy typestr such as "&lt;u2", "|u1", "&gt;f4"; bigEndian is true for '&gt;'.</summary>
    public static bool TryParseTypeString(string? typestr, out DataType type, out bool bigEndian)
    {
        type = default; bigEndian = false;
        if (typestr is null || typestr.Length < 3) return false;
        char order = typestr[0];
        if (order is not ('<' or '>' or '|' or '=')) return false;
        bigEndian = order == '>';
        return TryParse(typestr[1..], out type);
    }

    /// <summary>numpy typestr for little-endian storage: "|u1", "&lt;u2", "&lt;f4".</summary>
    public static string TypeString(this DataType t, bool bigEndian = false) =>
        $"{(t.Size() == 1 ? '|' : bigEndian ? '>' : '<')}{t.Kind()}{t.Size()}";

    /// <summary>The data type that holds values of the CLR type <typeparamref name="T"/>.</summary>
    public static DataType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(byte) ? DataType.UInt8 : typeof(T) == typeof(sbyte) ? DataType.Int8 :
        typeof(T) == typeof(ushort) ? DataType.UInt16 : typeof(T) == typeof(short) ? DataType.Int16 :
        typeof(T) == typeof(uint) ? DataType.UInt32 : typeof(T) == typeof(int) ? DataType.Int32 :
        typeof(T) == typeof(ulong) ? DataType.UInt64 : typeof(T) == typeof(long) ? DataType.Int64 :
        typeof(T) == typeof(float) ? DataType.Float32 : typeof(T) == typeof(double) ? DataType.Float64 :
        throw new NotSupportedException($"{typeof(T).Name} is not a voxel type.");
}

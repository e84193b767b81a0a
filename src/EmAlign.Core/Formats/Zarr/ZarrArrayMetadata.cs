using System.Globalization;
using System.Text.Json.Nodes;
using EmAlign.Diagnostics;
using EmAlign.Formats.Metadata;
using EmAlign.Volumes;

namespace EmAlign.Formats.Zarr;

/// <summary>The contents of a Zarr v2 .zarray file. Shape and chunks are in stored (C, slowest-first) order.</summary>
internal sealed record ZarrArrayMetadata(
    long[] Shape, int[] Chunks, DataType DataType, bool BigEndian, JsonNode? Compressor, double FillValue, bool FortranOrder, char Separator)
{
    /// <summary>Parses <paramref name="file"/> (a .zarray); null when it does not exist.</summary>
    public static ZarrArrayMetadata? Read(string file)
    {
        var o = JsonAttributes.ReadObject(file);
        if (o is null) return null;
        if (JsonAttributes.Long(o["zarr_format"], "zarr_format", file) != 2)
            throw new InvalidVolumeException($"'{file}': zarr_format is {o["zarr_format"]?.ToJsonString()}; expected 2.", file);
        var shape = JsonAttributes.Longs(o["shape"], "shape", file);
        var chunks = JsonAttributes.Longs(o["chunks"], "chunks", file);
        if (chunks.Length != shape.Length || chunks.Any(c => c < 1 || c > int.MaxValue) || shape.Any(s => s < 0))
            throw new InvalidVolumeException($"'{file}': shape {o["shape"]!.ToJsonString()} and chunks {o["chunks"]!.ToJsonString()}; expected lists of equal length, sizes >= 0, chunk sizes >= 1.", file);

        var dtypeNode = o["dtype"];
        var dtype = dtypeNode is JsonValue dv && dv.TryGetValue<string>(out var ds) ? ds : dtypeNode?.ToJsonString();
        if (!DataTypes.TryParseTypeString(dtype, out var type, out var bigEndian))
            throw new InvalidVolumeException(
                $"'{file}': dtype {dtype ?? "(missing)"} is not supported; expected a numeric typestr such as |u1, <u2, >i4, <f4 or <f8.", file);

        var filters = o["filters"];
        if (filters is JsonArray { Count: > 0 } || (filters is not null and not JsonArray))
            throw new InvalidVolumeException(
                $"'{file}': filters {filters.ToJsonString()} are not supported; expected null (EmAlign reads arrays with a compressor only).", file);

        var order = JsonAttributes.String(o["order"], "order", file) ?? "C";
        if (order is not ("C" or "F"))
            throw new InvalidVolumeException($"'{file}': order is \"{order}\"; expected \"C\" or \"F\".", file);

        char sep = '.';
        if (JsonAttributes.String(o["dimension_separator"], "dimension_separator", file) is { } s)
        {
            if (s is not ("." or "/"))
                throw new InvalidVolumeException($"'{file}': dimension_separator is \"{s}\"; expected \".\" or \"/\".", file);
            sep = s[0];
        }
        else if (LooksNested(Path.GetDirectoryName(file)!)) sep = '/';

        return new ZarrArrayMetadata(shape, [.. chunks.Select(c => (int)c)], type, bigEndian && type.Size() > 1, o["compressor"]?.DeepClone(),
            ParseFill(o["fill_value"], type, file), order == "F", sep);
    }

    /// <summary>The .zarray JSON, with all eight keys zarr-python expects; dimension_separator only when it is "/".</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["chunks"] = new JsonArray([.. Chunks.Select(c => (JsonNode)JsonValue.Create(c))]),
            ["compressor"] = Compressor?.DeepClone(),
            ["dtype"] = DataType.TypeString(BigEndian),
            ["fill_value"] = FillJson(FillValue, DataType),
            ["filters"] = null,
            ["order"] = FortranOrder ? "F" : "C",
            ["shape"] = new JsonArray([.. Shape.Select(s => (JsonNode)JsonValue.Create(s))]),
            ["zarr_format"] = 2,
        };
        if (Separator == '/') o["dimension_separator"] = "/";
        return o;
    }

    /// <summary>numpy's NaN (sign bit clear); .NET's double.NaN has the sign bit set, which would change the stored bytes.</summary>
    private static readonly double PositiveNaN = BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_0000);

    /// <summary>A fill value as zarr-python would hold it (any NaN becomes numpy's NaN).</summary>
    public static double CanonicalFill(double fill) => double.IsNaN(fill) ? PositiveNaN : fill;

    internal static double ParseFill(JsonNode? node, DataType type, string file)
    {
        if (node is null) return 0;
        if (node is JsonValue v)
        {
            if (v.GetValueKind() == System.Text.Json.JsonValueKind.Number) return JsonAttributes.Double(v, "fill_value", file)!.Value;
            if (v.TryGetValue<string>(out var s) && type.IsFloat())
            {
                switch (s)
                {
                    case "NaN": return PositiveNaN;
                    case "Infinity": return double.PositiveInfinity;
                    case "-Infinity": return double.NegativeInfinity;
                }
                if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
            }
            if (v.TryGetValue<bool>(out var b)) return b ? 1 : 0;
        }
        throw new InvalidVolumeException($"'{file}': fill_value {node.ToJsonString()} does not fit dtype {type.Name()}; expected a number{(type.IsFloat() ? ", \"NaN\", \"Infinity\" or \"-Infinity\"" : "")} or null.", file);
    }

    internal static JsonNode FillJson(double v, DataType type)
    {
        if (double.IsNaN(v)) return "NaN";
        if (double.IsPositiveInfinity(v)) return "Infinity";
        if (double.IsNegativeInfinity(v)) return "-Infinity";
        if (type.IsFloat()) return JsonValue.Create(v);
        return type == DataType.UInt64 && v >= 9.2e18 ? JsonValue.Create((ulong)v) : JsonValue.Create((long)v);
    }

    /// <summary>
    /// Old NestedDirectoryStore arrays keep "/"-nested chunks without saying so: no "."-keyed chunk files
    /// but numbered sub-folders.
    /// </summary>
    private static bool LooksNested(string dir)
    {
        if (!Directory.Exists(dir)) return false;
        foreach (var f in Directory.EnumerateFiles(dir))
        {
            var name = Path.GetFileName(f);
            if (name.Length > 0 && char.IsAsciiDigit(name[0])) return false;
        }
        return Directory.EnumerateDirectories(dir).Any(d => Path.GetFileName(d).All(char.IsAsciiDigit));
    }
}

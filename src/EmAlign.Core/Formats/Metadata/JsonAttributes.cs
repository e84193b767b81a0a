using System.Text.Json;
using System.Text.Json.Nodes;
using EmAlign.Diagnostics;

namespace EmAlign.Formats.Metadata;

/// <summary>Reading typed values out of metadata JSON, with errors that name the file and the key.</summary>
internal static class JsonAttributes
{
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    /// <summary>Parses a JSON object file; null when the file does not exist.</summary>
    public static JsonObject? ReadObject(string file)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(file); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        try
        {
            return JsonNode.Parse(bytes) as JsonObject
                ?? throw new InvalidVolumeException($"'{file}' does not hold a JSON object.", file);
        }
        catch (JsonException e)
        {
            throw new InvalidVolumeException($"'{file}' is not valid JSON: {e.Message}", file, e);
        }
    }

    /// <summary>UTF-8 without BOM, indented, LF line ends.</summary>
    public static byte[] ToBytes(JsonNode node) => JsonSerializer.SerializeToUtf8Bytes(node, s_indented);

    public static bool Has(JsonObject? o, string key) => o is not null && o.TryGetPropertyValue(key, out var v) && v is not null;

    /// <summary>A JSON number (or numeric string) as double; null when absent.</summary>
    public static double? Double(JsonNode? node, string what, string file)
    {
        if (node is null) return null;
        if (node is JsonValue v)
        {
            if (v.TryGetValue<double>(out var d)) return d;
            if (v.TryGetValue<string>(out var s) && double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out d)) return d;
        }
        throw new InvalidVolumeException($"'{file}': {what} is {node.ToJsonString()}; expected a number.", file);
    }

    public static long Long(JsonNode? node, string what, string file)
    {
        if (node is JsonValue v)
        {
            if (v.TryGetValue<long>(out var l)) return l;
            if (v.TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) < 9e15) return (long)d;
            if (v.TryGetValue<string>(out var s) && long.TryParse(s, out l)) return l;
        }
        throw new InvalidVolumeException($"'{file}': {what} is {node?.ToJsonString() ?? "missing"}; expected an integer.", file);
    }

    public static string? String(JsonNode? node, string what, string file)
    {
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        throw new InvalidVolumeException($"'{file}': {what} is {node.ToJsonString()}; expected a string.", file);
    }

    /// <summary>A JSON array of numbers; null when absent.</summary>
    public static double[]? Doubles(JsonNode? node, string what, string file)
    {
        if (node is null) return null;
        if (node is not JsonArray a) throw new InvalidVolumeException($"'{file}': {what} is {node.ToJsonString()}; expected a list of numbers.", file);
        var r = new double[a.Count];
        for (int i = 0; i < r.Length; i++) r[i] = Double(a[i], $"{what}[{i}]", file) ?? throw new InvalidVolumeException($"'{file}': {what}[{i}] is null; expected a number.", file);
        return r;
    }

    public static long[] Longs(JsonNode? node, string what, string file)
    {
        if (node is not JsonArray a) throw new InvalidVolumeException($"'{file}': {what} is {node?.ToJsonString() ?? "missing"}; expected a list of integers.", file);
        var r = new long[a.Count];
        for (int i = 0; i < r.Length; i++) r[i] = Long(a[i], $"{what}[{i}]", file);
        return r;
    }

    public static string[]? Strings(JsonNode? node, string what, string file)
    {
        if (node is null) return null;
        if (node is not JsonArray a) throw new InvalidVolumeException($"'{file}': {what} is {node.ToJsonString()}; expected a list of strings.", file);
        var r = new string[a.Count];
        for (int i = 0; i < r.Length; i++) r[i] = String(a[i], $"{what}[{i}]", file) ?? "";
        return r;
    }

    /// <summary>A number as JSON: an integer when it is one (so Python tools get ints), else a double.</summary>
    public static JsonNode Number(double v) =>
        v == Math.Floor(v) && Math.Abs(v) < 9e15 ? JsonValue.Create((long)v) : JsonValue.Create(v);

    public static JsonArray Numbers(IEnumerable<double> values) => new([.. values.Select(Number)]);

    public static JsonArray Texts(IEnumerable<string> values) => new([.. values.Select(s => (JsonNode)JsonValue.Create(s))]);
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EmAlign.Diagnostics;

namespace EmAlign.Formats.Metadata;

/// <summary>Reading typed values out of metadata JSON, with errors that name the file and the key.</summary>
internal static class JsonAttributes
{
    // Relaxed escaping keeps typestrs ("<u2") and units ("µm") readable; the output is still valid JSON.
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

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
            var text = v.GetValueKind() == JsonValueKind.Number ? v.ToJsonString() : v.TryGetValue<string>(out var s) ? s : null;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
        }
        throw new InvalidVolumeException($"'{file}': {what} is {node.ToJsonString()}; expected a number.", file);
    }

    public static bool Bool(JsonNode node, string what, string file) =>
        node is JsonValue v && v.TryGetValue<bool>(out var b) ? b
        : throw new InvalidVolumeException($"'{file}': {what} is {node.ToJsonString()}; expected true or false.", file);

    public static long Long(JsonNode? node, string what, string file)
    {
        if (node is JsonValue v)
        {
            // Numbers may come from a file (JsonElement) or from code (JsonValue<int>, <long>, ...): go by their text.
            var text = v.GetValueKind() == JsonValueKind.Number ? v.ToJsonString() : v.TryGetValue<string>(out var s) ? s : null;
            if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) return l;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d) && Math.Abs(d) < 9e15) return (long)d;
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

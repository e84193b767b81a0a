using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using EmAlign.Geometry;

namespace EmAlign.Cli;

/// <summary>Indented JSON on stdout, fields in the documented order (scripts and jq read it).</summary>
internal static class JsonOutput
{
    public static void Write(TextWriter output, Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        // Paths keep their characters as typed (no \u escapes of non-ASCII names).
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }
        output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    /// <summary>A number array on one line ("shape": [20, 1024, 1024]), however the rest is indented.</summary>
    public static void Numbers<T>(Utf8JsonWriter json, string name, IEnumerable<T> values)
    {
        json.WritePropertyName(name);
        json.WriteRawValue($"[{string.Join(", ", values.Select(v => JsonSerializer.Serialize(v)))}]");
    }

    /// <summary>A mag-1 box as "x", "y", "z", "size_x", "size_y", "size_z" fields of the current object.</summary>
    public static void BoxFields(Utf8JsonWriter json, Box3 box)
    {
        json.WriteNumber("x", box.X);
        json.WriteNumber("y", box.Y);
        json.WriteNumber("z", box.Z);
        json.WriteNumber("size_x", box.SizeX);
        json.WriteNumber("size_y", box.SizeY);
        json.WriteNumber("size_z", box.SizeZ);
    }
}

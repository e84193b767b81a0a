using System.Globalization;
using System.Text;
using System.Text.Json;
using EmAlign.Volumes;

namespace EmAlign.Formats.Tiff;

/// <summary>
/// Voxel size and plane count from ImageJ and tifffile metadata, and the ImageJ description we write.
/// ImageJ: X/YResolution are pixels per unit, "unit=" and "spacing=" (z step) are lines of ImageDescription.
/// </summary>
internal static class TiffMetadata
{
    /// <summary>The ImageJ description's key=value lines, or null when the description is not ImageJ's.</summary>
    public static Dictionary<string, string>? ImageJ(string? description)
    {
        if (description is null || !description.StartsWith("ImageJ=", StringComparison.Ordinal)) return null;
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in description.Split('\n'))
        {
            int eq = line.IndexOf('=');
            if (eq > 0) keys[line[..eq].Trim()] = line[(eq + 1)..].Trim();
        }
        return keys;
    }

    /// <summary>The number of planes an ImageJ description declares ("images="), or 0.</summary>
    public static long ImageJImages(Dictionary<string, string>? imagej) =>
        imagej is not null && imagej.TryGetValue("images", out var s) && long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : 0;

    /// <summary>
    /// Voxel size from the first page: ImageJ metadata (resolution, unit, spacing), else a tifffile "shaped"
    /// JSON description carrying "unit" (and "spacing"), else <see cref="VoxelSize.Unknown"/>.
    /// </summary>
    public static VoxelSize VoxelSizeOf(TiffPage page)
    {
        string? unit = null, spacing = null;
        if (ImageJ(page.Description) is { } ij)
        {
            ij.TryGetValue("unit", out unit);
            ij.TryGetValue("spacing", out spacing);
        }
        else if (ShapedJson(page.Description) is { } json)
        {
            unit = json.TryGetValue("unit", out var u) ? u : null;
            spacing = json.TryGetValue("spacing", out var s) ? s : null;
        }
        var canonical = CanonicalUnit(unit);
        if (canonical is null) return VoxelSize.Unknown;
        double x = page.XResolution is { } xr ? 1 / xr : 1;
        double y = page.YResolution is { } yr ? 1 / yr : x;
        double z = double.TryParse(spacing, NumberStyles.Float, CultureInfo.InvariantCulture, out double sz) && sz > 0 && double.IsFinite(sz) ? sz : 1;
        return new VoxelSize(x, y, z, canonical);
    }

    /// <summary>String and number members of tifffile's JSON description (e.g. {"shape": [...], "unit": "um"}), or null.</summary>
    private static Dictionary<string, string>? ShapedJson(string? description)
    {
        if (description is null || !description.TrimStart().StartsWith('{')) return null;
        try
        {
            using var doc = JsonDocument.Parse(description);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("shape", out _)) return null;
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
                if (p.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number)
                    result[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
            return result;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// EmAlign's unit name for an ImageJ/tifffile unit ("um", "micron", "\u00B5m", "µm" → "micrometer");
    /// null for no unit or "pixel" (uncalibrated); other strings are kept as they are.
    /// </summary>
    public static string? CanonicalUnit(string? unit)
    {
        if (unit is null) return null;
        // ImageJ writes non-ASCII characters of its descriptions as Java escapes.
        unit = unit.Replace("\\u00B5", "µ", StringComparison.OrdinalIgnoreCase).Replace('\u03BC', 'µ').Trim();
        if (unit.Length == 0) return null;
        return unit.ToLowerInvariant() switch
        {
            "pixel" or "pixels" or "px" => null,
            "nm" or "nanometer" or "nanometre" or "nanometers" => "nanometer",
            "um" or "µm" or "micron" or "microns" or "micrometer" or "micrometre" or "micrometers" => "micrometer",
            "mm" or "millimeter" or "millimetre" => "millimeter",
            "cm" or "centimeter" or "centimetre" => "centimeter",
            "m" or "meter" or "metre" => "meter",
            "pm" or "picometer" => "picometer",
            "a" or "å" or "angstrom" => "angstrom",
            _ => unit,
        };
    }

    /// <summary>The unit as ImageJ's description spells it ("nm", "um", ...).</summary>
    private static string ImageJUnit(string unit) => unit switch
    {
        "nanometer" => "nm",
        "micrometer" => "um",
        "millimeter" => "mm",
        "centimeter" => "cm",
        "meter" => "m",
        "picometer" => "pm",
        "angstrom" => "A",
        _ => unit,
    };

    /// <summary>
    /// ImageDescription for a z stack of <paramref name="planes"/> planes, as ImageJ (and tifffile's imagej mode) reads it.
    /// Calibration lines are written only for a known voxel size.
    /// </summary>
    public static string ImageJDescription(long planes, VoxelSize voxelSize)
    {
        var sb = new StringBuilder("ImageJ=1.11a\n");
        if (planes > 1) sb.Append(CultureInfo.InvariantCulture, $"images={planes}\nslices={planes}\n");
        if (IsCalibrated(voxelSize))
        {
            sb.Append("unit=").Append(ImageJUnit(CanonicalUnit(voxelSize.Unit)!)).Append('\n');
            sb.Append("spacing=").Append(voxelSize.Z.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
        if (planes > 1) sb.Append("loop=false\n");
        return sb.ToString();
    }

    public static bool IsCalibrated(VoxelSize v) => CanonicalUnit(v.Unit) is not null && v.X > 0 && v.Y > 0 && v.Z > 0;

    /// <summary>
    /// The closest fraction num/den to <paramref name="value"/> with both parts fitting in 32 bits
    /// (continued-fraction convergents), for RATIONAL tags: 250 → 250/1, 1/4.6 → 5/23.
    /// </summary>
    public static (uint Numerator, uint Denominator) Rational(double value)
    {
        if (!(value > 0) || !double.IsFinite(value)) return (1, 1);
        if (value >= uint.MaxValue) return (uint.MaxValue, 1);
        ulong h0 = 0, h1 = 1, k0 = 1, k1 = 0;
        double x = value;
        for (int i = 0; i < 64; i++)
        {
            double a = Math.Floor(x);
            if (a > uint.MaxValue) break;
            ulong h2 = (ulong)a * h1 + h0, k2 = (ulong)a * k1 + k0;
            if (h2 > uint.MaxValue || k2 > uint.MaxValue) break;
            (h0, h1, k0, k1) = (h1, h2, k1, k2);
            double frac = x - a;
            if (Math.Abs((double)h1 / k1 - value) <= value * 1e-15 || frac <= 0) break;
            x = 1 / frac;
        }
        // A value below 1/2^32 has no representable convergent; its smallest positive fraction stands in.
        return k1 == 0 || h1 == 0 ? (1, uint.MaxValue) : ((uint)h1, (uint)k1);
    }
}

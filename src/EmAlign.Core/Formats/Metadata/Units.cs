namespace EmAlign.Formats.Metadata;

/// <summary>Length unit names as OME-NGFF writes them ("nanometer"), from the abbreviations tools also use.</summary>
public static class Units
{
    /// <summary>
    /// The OME-NGFF (UDUNITS) name for <paramref name="unit"/>: "nm" becomes "nanometer", "um"/"µm" "micrometer";
    /// names that are already long, or unknown, are returned trimmed and lower-cased.
    /// </summary>
    public static string Canonical(string unit) => unit.Trim().ToLowerInvariant() switch
    {
        "nm" or "nanometre" => "nanometer",
        "um" or "µm" or "μm" or "micron" or "micrometre" => "micrometer",
        "mm" or "millimetre" => "millimeter",
        "cm" or "centimetre" => "centimeter",
        "m" or "metre" => "meter",
        "pm" or "picometre" => "picometer",
        "a" or "å" or "angstroem" => "angstrom",
        var u => u,
    };

    /// <summary>Factor converting a length in <paramref name="from"/> to <paramref name="to"/>, or null when either is not a known length unit.</summary>
    public static double? Factor(string from, string to)
    {
        if (Canonical(from) == Canonical(to)) return 1;
        var a = Volumes.VoxelSize.NanometersPer(from);
        var b = Volumes.VoxelSize.NanometersPer(to);
        return a is null || b is null ? null : a.Value / b.Value;
    }
}

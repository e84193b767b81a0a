using EmAlign.Diagnostics;
using EmAlign.Formats.WebKnossos;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.FrontEnds;

/// <summary>
/// Export-EmPyramid's decisions apart from PowerShell: parameter values (mags written x-y-z as WEBKNOSSOS names them)
/// into engine options. Errors name the PowerShell parameter. Kept free of PowerShell types so tests exercise it.
/// </summary>
internal static class PyramidCommands
{
    /// <summary>Options for adding levels to the piped volume itself.</summary>
    public static DownsampleOptions DownsampleOptions(string[]? levels, PyramidMode mode, int? coarsest, DownsampleFilter? filter, bool force) => new()
    {
        Mags = Mags(levels),
        Mode = mode,
        Coarsest = coarsest,
        Filter = filter,
        Force = force,
    };

    /// <summary>Options for writing the piped volume as a new layer of a WEBKNOSSOS dataset, with its pyramid.</summary>
    public static AddLayerOptions LayerOptions(string layer, string category, string dataFormat, string? codec, int? codecLevel, string[]? levels,
        PyramidMode mode, DownsampleFilter? filter, bool force)
    {
        if (mode != PyramidMode.Anisotropic && levels is null)
            throw new EmAlignException("-Mode applies to the mags of a new layer only together with -Level; layers take WEBKNOSSOS' anisotropic schedule by default.", "Mode");
        return new AddLayerOptions
        {
            Name = layer,
            Category = category,
            DataFormat = dataFormat,
            Codec = codec,
            CodecLevel = codecLevel,
            Mags = Mags(levels),
            Filter = filter,
            Force = force,
        };
    }

    /// <summary>Mags as written (2-2-1, 4, "4,4,2"); null for the schedule.</summary>
    public static IReadOnlyList<Mag>? Mags(string[]? levels)
    {
        if (levels is null) return null;
        var mags = new List<Mag>();
        foreach (var text in levels)
            mags.Add(Mag.TryParse(text, out var m) ? m : throw new EmAlignException($"-Level '{text}' is not a mag: expected a factor such as 2 or x-y-z factors such as 2-2-1.", "Level"));
        return mags;
    }
}

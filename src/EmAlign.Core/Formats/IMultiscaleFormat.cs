using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Formats;

/// <summary>A format whose volumes can gain resolution levels after creation (OME-NGFF groups, WEBKNOSSOS layers).</summary>
public interface IMultiscaleFormat
{
    /// <summary>
    /// Adds levels with <paramref name="mags"/> (mag-1 factors, none of them present yet) to <paramref name="volume"/>:
    /// creates their empty arrays, hands a writable volume over the old and new levels to <paramref name="fill"/>, and
    /// only then writes the metadata that lists the new levels, so an interrupted fill never looks complete (its arrays
    /// are removed). The volume handed over is in the storage's own coordinates (a WEBKNOSSOS layer's arrays from
    /// voxel 0), with the region that holds data (mag-1 voxels of that volume; null: all of it). Returns the extended
    /// volume; the caller disposes both it and <paramref name="volume"/>.
    /// </summary>
    EmVolume AddLevels(EmVolume volume, IReadOnlyList<Mag> mags, Action<EmVolume, Box3?> fill);

    /// <summary>The filter that suits <paramref name="volume"/>'s content: <see cref="DownsampleFilter.Mode"/> for labels, else the mean.</summary>
    DownsampleFilter DefaultFilter(EmVolume volume);
}

using System.Text.RegularExpressions;
using EmAlign.Diagnostics;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Formats.Metadata;

/// <summary>
/// Recognising resolution pyramids stored without (or with incomplete) multiscale metadata:
/// scale arrays named s0, s1, ... or 0, 1, ... (mags then come from the shapes or the scale metadata), or
/// WEBKNOSSOS-style mag names "1", "2-2-1", "4" (mags from the names).
/// </summary>
public static partial class Pyramids
{
    /// <summary>
    /// The names among <paramref name="names"/> that form a pyramid, finest first, with the mag a name states
    /// (null for index names); null when the names follow none of the conventions.
    /// </summary>
    public static IReadOnlyList<(string Name, Mag? Mag)>? FromNames(IEnumerable<string> names)
    {
        var all = names.ToList();
        foreach (var prefix in new[] { "s", "" })
        {
            var indexed = all.Select(n => (Name: n, M: IndexName().Match(n)))
                .Where(t => t.M.Success && t.M.Groups[1].Value == prefix)
                .Select(t => (t.Name, Index: int.Parse(t.M.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)))
                .OrderBy(t => t.Index).ToList();
            if (indexed.Count > 0 && indexed[0].Index == 0)
            {
                var run = indexed.TakeWhile((t, i) => t.Index == i).Select(t => (t.Name, (Mag?)null)).ToList();
                // "1", "2", "4" without "0" are mag names, handled below.
                if (prefix == "s" || run.Count == indexed.Count) return run;
            }
        }
        var mags = all.Select(n => (Name: n, Ok: Mag.TryParse(n, out var m) && MagName().IsMatch(n), Mag: m)).Where(t => t.Ok).ToList();
        if (mags.Any(t => t.Mag.IsOne))
            return [.. mags.OrderBy(t => t.Mag.Max).ThenBy(t => (long)t.Mag.X * t.Mag.Y * t.Mag.Z).Select(t => (t.Name, (Mag?)t.Mag))];
        return null;
    }

    /// <summary>
    /// The downsampling factor that turns a <paramref name="fine"/>-sized level into a <paramref name="coarse"/> one
    /// (sizes x, y, z), where each coarse size is the fine size divided by a whole factor, rounded up or down.
    /// </summary>
    public static Mag MagFromShapes((long X, long Y, long Z) fine, (long X, long Y, long Z) coarse, string level, string source)
    {
        int F(long f, long c, char axis)
        {
            if (c == f) return 1;
            long k = c > 0 ? (long)Math.Round((double)f / c) : 0;
            if (k < 1 || k > int.MaxValue || ((f + k - 1) / k != c && f / k != c))
                throw new InvalidVolumeException(
                    $"'{source}': level '{level}' is {c} voxels along {axis} against {f} at the finest level; expected the finest size divided by a whole factor.", source);
            return (int)k;
        }
        return new Mag(F(fine.X, coarse.X, 'x'), F(fine.Y, coarse.Y, 'y'), F(fine.Z, coarse.Z, 'z'));
    }

    /// <summary>
    /// The downsampling factor between levels whose voxels measure <paramref name="fine"/> and <paramref name="coarse"/>
    /// (x, y, z, same unit); each ratio must be a whole number.
    /// </summary>
    public static Mag MagFromScales((double X, double Y, double Z) fine, (double X, double Y, double Z) coarse, string level, string source)
    {
        int F(double f, double c, char axis)
        {
            double r = c / f, m = Math.Round(r);
            if (!(m >= 1) || m > int.MaxValue || Math.Abs(r - m) > 1e-3 * m)
                throw new InvalidVolumeException(
                    $"'{source}': level '{level}' has {axis} scale {c:g6} against {f:g6} at the finest level (ratio {r:g6}); expected a whole-number downsampling factor.", source);
            return (int)m;
        }
        return new Mag(F(fine.X, coarse.X, 'x'), F(fine.Y, coarse.Y, 'y'), F(fine.Z, coarse.Z, 'z'));
    }

    /// <summary>Checks that every level of a pyramid has the finest level's type and channel count.</summary>
    public static void CheckLevels(IReadOnlyList<Volumes.VolumeLevel> levels, string source)
    {
        var a0 = levels[0].Array;
        foreach (var l in levels.Skip(1))
        {
            var a = l.Array;
            if (a.DataType != a0.DataType || a.Shape.Count != a0.Shape.Count || (a.Shape.Count == 4 && a.Shape[0] != a0.Shape[0]))
                throw new InvalidVolumeException(
                    $"'{source}': level '{a.Path}' holds {a.DataType.Name()} [{string.Join(", ", a.Shape)}] but the finest level {a0.DataType.Name()} [{string.Join(", ", a0.Shape)}]; expected the same type and channels.", source);
        }
    }

    [GeneratedRegex(@"^(s?)(\d{1,6})$")]
    private static partial Regex IndexName();

    [GeneratedRegex(@"^\d{1,6}(-\d{1,6}-\d{1,6})?$")]
    private static partial Regex MagName();
}

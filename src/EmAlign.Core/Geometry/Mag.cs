using System.Globalization;

namespace EmAlign.Geometry;

/// <summary>
/// A resolution level as an integer downsampling factor per axis, in x, y, z order
/// (WEBKNOSSOS notation "2-2-1" means x and y halved, z kept).
/// </summary>
public readonly record struct Mag(int X, int Y, int Z)
{
    public static Mag One => new(1, 1, 1);

    public bool IsOne => X == 1 && Y == 1 && Z == 1;

    /// <summary>The largest of the three factors (WEBKNOSSOS' "max dim").</summary>
    public int Max => Math.Max(X, Math.Max(Y, Z));

    /// <summary>Parses "2", "2-2-1", "2,2,1" or "[2, 2, 1]" (x, y, z order).</summary>
    public static Mag Parse(string text)
    {
        if (TryParse(text, out var mag)) return mag;
        throw new FormatException($"'{text}' is not a mag: expected a positive integer such as '2' or x-y-z factors such as '2-2-1'.");
    }

    public static bool TryParse(string? text, out Mag mag)
    {
        mag = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var parts = text.Trim().Trim('[', ']').Split(['-', ',', 'x'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var v = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out v[i]) || v[i] < 1) return false;
        if (v.Length == 1) { mag = new Mag(v[0], v[0], v[0]); return true; }
        if (v.Length == 3) { mag = new Mag(v[0], v[1], v[2]); return true; }
        return false;
    }

    public override string ToString() => $"{X}-{Y}-{Z}";
}

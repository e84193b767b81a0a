using EmAlign.Geometry;

namespace EmAlign.Formats.Metadata;

/// <summary>A mag's factor along a stored axis.</summary>
internal static class MagAxes
{
    /// <summary>The downsampling factor of <paramref name="mag"/> along an axis of role <paramref name="role"/> (1 for channels).</summary>
    public static int Factor(this Mag mag, AxisRole role) => role switch
    {
        AxisRole.X => mag.X,
        AxisRole.Y => mag.Y,
        AxisRole.Z => mag.Z,
        _ => 1,
    };
}

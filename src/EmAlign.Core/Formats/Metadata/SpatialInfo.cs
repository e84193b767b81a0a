using EmAlign.Volumes;

namespace EmAlign.Formats.Metadata;

/// <summary>
/// What metadata says about one stored array: the role of each stored axis (in stored order),
/// the physical size of a voxel and the world position of voxel (0, 0, 0) (x, y, z, in the voxel size's unit).
/// </summary>
public sealed record SpatialInfo(IReadOnlyList<AxisRole> Roles, VoxelSize VoxelSize, (double X, double Y, double Z) Offset)
{
    /// <summary>Values given per physical axis in stored order, picked out as (x, y, z); a missing z is <paramref name="missing"/>.</summary>
    internal static (double X, double Y, double Z) ToXyz(IReadOnlyList<AxisRole> physicalRoles, IReadOnlyList<double> values, double missing)
    {
        double x = missing, y = missing, z = missing;
        for (int i = 0; i < physicalRoles.Count; i++)
        {
            switch (physicalRoles[i])
            {
                case AxisRole.X: x = values[i]; break;
                case AxisRole.Y: y = values[i]; break;
                case AxisRole.Z: z = values[i]; break;
            }
        }
        return (x, y, z);
    }
}

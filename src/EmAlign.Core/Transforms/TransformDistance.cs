namespace EmAlign.Transforms;

/// <summary>How far apart two transforms send the voxels of a grid, in voxels of that grid (each axis in its own voxel size).</summary>
/// <param name="Mean">Mean Euclidean distance.</param>
/// <param name="MeanX">Mean absolute difference along x; likewise <paramref name="MeanY"/>, <paramref name="MeanZ"/>.</param>
/// <param name="Max">Largest Euclidean distance.</param>
public sealed record TransformDistance(double Mean, double MeanX, double MeanY, double MeanZ, double Max)
{
    /// <summary>Compares <paramref name="a"/> and <paramref name="b"/> at every <paramref name="step"/>-th voxel of <paramref name="grid"/> along each axis.</summary>
    public static TransformDistance Measure(SpatialTransform a, SpatialTransform b, VoxelGrid grid, int step = 4)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        grid = grid.InUnit(a.Unit);
        b = b.InUnit(a.Unit);
        int nx = (int)((grid.SizeX + step - 1) / step);
        var pa = (X: new double[nx], Y: new double[nx], Z: new double[nx]);
        var pb = (X: new double[nx], Y: new double[nx], Z: new double[nx]);
        double sum = 0, sx = 0, sy = 0, sz = 0, max = 0;
        long count = 0;
        for (long z = 0; z < grid.SizeZ; z += step)
            for (long y = 0; y < grid.SizeY; y += step)
            {
                for (int i = 0; i < nx; i++)
                {
                    var (px, py, pz) = grid.ToPhysical(i * (long)step, y, z);
                    pa.X[i] = pb.X[i] = px; pa.Y[i] = pb.Y[i] = py; pa.Z[i] = pb.Z[i] = pz;
                }
                a.TransformPoints(pa.X, pa.Y, pa.Z);
                b.TransformPoints(pb.X, pb.Y, pb.Z);
                for (int i = 0; i < nx; i++)
                {
                    double dx = Math.Abs(pa.X[i] - pb.X[i]) / grid.SpacingX, dy = Math.Abs(pa.Y[i] - pb.Y[i]) / grid.SpacingY, dz = Math.Abs(pa.Z[i] - pb.Z[i]) / grid.SpacingZ;
                    double d = Math.Sqrt(dx * dx + dy * dy + dz * dz);
                    sum += d; sx += dx; sy += dy; sz += dz; max = Math.Max(max, d);
                    count++;
                }
            }
        return new TransformDistance(sum / count, sx / count, sy / count, sz / count, max);
    }

    public override string ToString() => $"mean {Mean:0.000} voxel (x {MeanX:0.000}, y {MeanY:0.000}, z {MeanZ:0.000}), max {Max:0.000}";
}

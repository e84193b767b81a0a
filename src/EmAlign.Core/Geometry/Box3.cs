namespace EmAlign.Geometry;

/// <summary>
/// An integer voxel box: start (X, Y, Z) and size (SizeX, SizeY, SizeZ), end exclusive.
/// Whose voxels it counts (mag 1 or a coarser level) is said by the API that takes it.
/// Sizes are shown x, y, z as users and WEBKNOSSOS write them; in-memory blocks are z, y, x.
/// </summary>
public readonly record struct Box3(long X, long Y, long Z, long SizeX, long SizeY, long SizeZ)
{
    public long EndX => X + SizeX;
    public long EndY => Y + SizeY;
    public long EndZ => Z + SizeZ;

    public bool IsEmpty => SizeX <= 0 || SizeY <= 0 || SizeZ <= 0;

    public long VoxelCount => IsEmpty ? 0 : SizeX * SizeY * SizeZ;

    /// <summary>The box from the origin with the given size.</summary>
    public static Box3 FromSize(long sizeX, long sizeY, long sizeZ) => new(0, 0, 0, sizeX, sizeY, sizeZ);

    /// <summary>The box [start, end) per axis.</summary>
    public static Box3 FromBounds(long x0, long y0, long z0, long x1, long y1, long z1) =>
        new(x0, y0, z0, Math.Max(0, x1 - x0), Math.Max(0, y1 - y0), Math.Max(0, z1 - z0));

    public Box3 Intersect(Box3 other) => FromBounds(
        Math.Max(X, other.X), Math.Max(Y, other.Y), Math.Max(Z, other.Z),
        Math.Min(EndX, other.EndX), Math.Min(EndY, other.EndY), Math.Min(EndZ, other.EndZ));

    public bool Contains(Box3 other) =>
        other.X >= X && other.Y >= Y && other.Z >= Z && other.EndX <= EndX && other.EndY <= EndY && other.EndZ <= EndZ;

    public Box3 Grow(long dx, long dy, long dz) => new(X - dx, Y - dy, Z - dz, SizeX + 2 * dx, SizeY + 2 * dy, SizeZ + 2 * dz);

    public Box3 Offset(long dx, long dy, long dz) => this with { X = X + dx, Y = Y + dy, Z = Z + dz };

    /// <summary>
    /// Converts a mag-1 box to the voxels of <paramref name="mag"/>: start rounds down, end rounds up,
    /// so the result covers every coarse voxel the box touches.
    /// </summary>
    public Box3 ToMag(Mag mag) => FromBounds(
        FloorDiv(X, mag.X), FloorDiv(Y, mag.Y), FloorDiv(Z, mag.Z),
        CeilDiv(EndX, mag.X), CeilDiv(EndY, mag.Y), CeilDiv(EndZ, mag.Z));

    /// <summary>Converts a box in voxels of <paramref name="mag"/> to mag-1 voxels.</summary>
    public Box3 FromMag(Mag mag) => new(X * mag.X, Y * mag.Y, Z * mag.Z, SizeX * mag.X, SizeY * mag.Y, SizeZ * mag.Z);

    public override string ToString() => $"x {X}+{SizeX}, y {Y}+{SizeY}, z {Z}+{SizeZ}";

    internal static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);
    internal static long CeilDiv(long a, long b) => -FloorDiv(-a, b);
}

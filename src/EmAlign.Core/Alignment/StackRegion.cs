using EmAlign.Geometry;
using EmAlign.Numerics;
using EmAlign.Volumes;

namespace EmAlign.Alignment;

/// <summary>
/// Where an alignment works: a level of a volume and a region of it (in that level's voxels) whose x and y
/// start on the node grid (multiples of the stride), so node j of a flow or map sits at level pixel
/// Region.X + j * Stride.
/// </summary>
public sealed record StackRegion(string SourcePath, int Level, Mag Mag, Box3 Region, int Stride)
{
    /// <summary>The region of a view, with its start moved down onto the node grid.</summary>
    public static StackRegion For(VolumeView view, int stride)
    {
        var r = view.LevelRegion;
        long x0 = r.X / stride * stride, y0 = r.Y / stride * stride;
        var aligned = Box3.FromBounds(x0, y0, r.Z, r.EndX, r.EndY, r.EndZ);
        return new StackRegion(view.Path, view.Level, view.Mag, aligned, stride);
    }

    public int Width => (int)Region.SizeX;
    public int Height => (int)Region.SizeY;
    public int Sections => (int)Region.SizeZ;

    /// <summary>Reads local section <paramref name="z"/> of the region as float32 (first channel).</summary>
    public Image2D<float> ReadSection(EmVolume volume, int z)
    {
        var box = new Box3(Region.X, Region.Y, Region.Z + z, Region.SizeX, Region.SizeY, 1);
        var data = volume.ReadSingle(Level, box);
        if (data.Length != Width * Height) data = data[..(Width * Height)];
        return new Image2D<float>(data, Width, Height);
    }
}

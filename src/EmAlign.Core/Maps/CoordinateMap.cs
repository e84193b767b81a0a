using EmAlign.Diagnostics;
using EmAlign.Geometry;

namespace EmAlign.Maps;

/// <summary>
/// A 2D coordinate map on a regular node grid, for one section or a stack of independent sections.
/// <para>
/// Storage: <see cref="Data"/> is float32, laid out [channel][z][y][x] in C order (x fastest);
/// channel 0 is Δx and channel 1 is Δy, in pixels. NaN in both channels marks an unknown node.
/// </para>
/// <para>
/// Grid: <see cref="Box"/> is in node units. Node (z, i, j) sits at pixel
/// x = (Box.X + j)·StrideX, y = (Box.Y + i)·StrideY of section Box.Z + z; Box.SizeX and Box.SizeY
/// are the node counts, Box.SizeZ the number of sections. Sections never interact.
/// </para>
/// <para>
/// Meaning: a map is a function of node position p whose value is the point p + Δ(p) in another space
/// (the map is stored "relative"; <see cref="ToAbsolute"/> gives p + Δ). Which space depends on the
/// map's role, and every API that takes a map says which role it expects:
/// a <b>forward</b> map (the mesh solution, <c>MeshRelaxer</c>) takes raw (moving) section pixels to
/// aligned (fixed) space; an <b>inverse</b> map (<see cref="CoordinateMaps.Invert"/> of a forward map,
/// what <c>SectionWarper</c> renders with) gives, for each output (aligned, fixed) position, the position
/// to sample in the input (moving) section. Inverse maps follow the design's rule that transforms go
/// fixed → moving and rendering samples the moving image at T(x). A flow is a map too: flow(z) takes
/// section z to section z − 1.
/// </para>
/// </summary>
public sealed class CoordinateMap
{
    /// <summary>Vector channels per node: Δx and Δy.</summary>
    public const int Channels = 2;

    /// <summary>A map of zeros (the identity) on the given node grid.</summary>
    public CoordinateMap(Box3 box, double strideX, double strideY)
        : this(box, strideX, strideY, null)
    {
    }

    /// <summary>
    /// A map over <paramref name="data"/> ([2][z][y][x], length 2·SizeZ·SizeY·SizeX), which it keeps
    /// (not copied); null allocates zeros.
    /// </summary>
    public CoordinateMap(Box3 box, double strideX, double strideY, float[]? data)
    {
        if (box.SizeX <= 0 || box.SizeY <= 0 || box.SizeZ <= 0)
            throw new EmAlignException($"A coordinate map needs at least one node and one section; the node box is {box}.", "box");
        long plane = box.SizeX * box.SizeY;
        long total = Channels * plane * box.SizeZ;
        if (total > Array.MaxLength)
            throw new EmAlignException($"The node box {box} holds {total} values, more than one array can hold; split it.", "box");
        if (!(strideX > 0) || !(strideY > 0) || double.IsInfinity(strideX) || double.IsInfinity(strideY))
            throw new EmAlignException($"Map strides must be positive pixel spacings; found ({strideX}, {strideY}).", "stride");
        if (data is not null && data.Length != total)
            throw new EmAlignException($"Map data has {data.Length} values; the node box {box} needs 2 x {box.SizeZ} x {box.SizeY} x {box.SizeX} = {total}.", "data");
        Box = box;
        StrideX = strideX;
        StrideY = strideY;
        Data = data ?? new float[total];
    }

    /// <summary>Node box: start in node units (x, y) and first section (z); sizes are node and section counts.</summary>
    public Box3 Box { get; }

    /// <summary>Pixels between neighbouring nodes along x.</summary>
    public double StrideX { get; }

    /// <summary>Pixels between neighbouring nodes along y.</summary>
    public double StrideY { get; }

    /// <summary>The values, [channel][z][y][x], x fastest; channel 0 = Δx, 1 = Δy (pixels).</summary>
    public float[] Data { get; }

    public int Width => (int)Box.SizeX;

    public int Height => (int)Box.SizeY;

    public int Sections => (int)Box.SizeZ;

    /// <summary>Nodes per section (Width·Height).</summary>
    public int PlaneLength => Width * Height;

    /// <summary>A map filled with <paramref name="value"/> (NaN gives an all-unknown map).</summary>
    public static CoordinateMap Filled(Box3 box, double strideX, double strideY, float value)
    {
        var map = new CoordinateMap(box, strideX, strideY);
        Array.Fill(map.Data, value);
        return map;
    }

    /// <summary>Δx of section <paramref name="z"/> (0-based within the map), [y][x].</summary>
    public Span<float> Dx(int z) => Data.AsSpan(Offset(0, z), PlaneLength);

    /// <summary>Δy of section <paramref name="z"/> (0-based within the map), [y][x].</summary>
    public Span<float> Dy(int z) => Data.AsSpan(Offset(1, z), PlaneLength);

    /// <summary>Start of channel <paramref name="channel"/> of section <paramref name="z"/> in <see cref="Data"/>.</summary>
    public int Offset(int channel, int z)
    {
        if ((uint)z >= (uint)Sections) throw new ArgumentOutOfRangeException(nameof(z), z, $"The map has {Sections} sections.");
        return (channel * Sections + z) * PlaneLength;
    }

    /// <summary>Pixel x of node column <paramref name="j"/>.</summary>
    public double NodeX(double j) => (Box.X + j) * StrideX;

    /// <summary>Pixel y of node row <paramref name="i"/>.</summary>
    public double NodeY(double i) => (Box.Y + i) * StrideY;

    /// <summary>True when both channels of node (z, i, j) are finite.</summary>
    public bool IsValid(int z, int i, int j)
    {
        int k = i * Width + j;
        return float.IsFinite(Dx(z)[k]) && float.IsFinite(Dy(z)[k]);
    }

    /// <summary>True when section <paramref name="z"/> has at least one valid node.</summary>
    public bool HasValidNode(int z)
    {
        var dx = Dx(z);
        var dy = Dy(z);
        for (int k = 0; k < dx.Length; k++)
            if (float.IsFinite(dx[k]) && float.IsFinite(dy[k])) return true;
        return false;
    }

    /// <summary>True when some node of some section is unknown (NaN or infinite).</summary>
    public bool HasInvalidNode()
    {
        foreach (var v in Data)
            if (!float.IsFinite(v)) return true;
        return false;
    }

    /// <summary>True when <paramref name="other"/> has the same node box and strides.</summary>
    public bool SameGrid(CoordinateMap other) =>
        other.Box == Box && other.StrideX == StrideX && other.StrideY == StrideY;

    public CoordinateMap Clone() => new(Box, StrideX, StrideY, (float[])Data.Clone());

    /// <summary>A copy of <paramref name="count"/> sections starting at local section <paramref name="start"/>.</summary>
    public CoordinateMap GetSections(int start, int count)
    {
        if (start < 0 || count <= 0 || start + count > Sections)
            throw new ArgumentOutOfRangeException(nameof(count), $"Sections {start}..{start + count - 1} are outside the map's 0..{Sections - 1}.");
        var result = new CoordinateMap(Box with { Z = Box.Z + start, SizeZ = count }, StrideX, StrideY);
        for (int c = 0; c < Channels; c++)
            Data.AsSpan(Offset(c, start), count * PlaneLength).CopyTo(result.Data.AsSpan(result.Offset(c, 0), count * PlaneLength));
        return result;
    }

    /// <summary>Copies section <paramref name="sourceZ"/> of <paramref name="source"/> (same x/y grid) into local section <paramref name="z"/>.</summary>
    public void SetSection(int z, CoordinateMap source, int sourceZ = 0)
    {
        if (source.Width != Width || source.Height != Height || source.StrideX != StrideX || source.StrideY != StrideY
            || source.Box.X != Box.X || source.Box.Y != Box.Y)
            throw new EmAlignException($"The section comes from a map on another grid ({source.Box}, stride {source.StrideX}x{source.StrideY}); expected nodes {Box} at stride {StrideX}x{StrideY}.", "source");
        source.Dx(sourceZ).CopyTo(Dx(z));
        source.Dy(sourceZ).CopyTo(Dy(z));
    }

    /// <summary>Stacks single- or multi-section maps on one x/y grid; the result starts at the first map's section.</summary>
    public static CoordinateMap Stack(IReadOnlyList<CoordinateMap> maps)
    {
        if (maps.Count == 0) throw new EmAlignException("Cannot stack an empty list of maps.", "maps");
        var first = maps[0];
        int total = maps.Sum(m => m.Sections);
        var result = new CoordinateMap(first.Box with { SizeZ = total }, first.StrideX, first.StrideY);
        int z = 0;
        foreach (var map in maps)
            for (int s = 0; s < map.Sections; s++) result.SetSection(z++, map, s);
        return result;
    }

    /// <summary>Multiplies every value by <paramref name="factor"/> in place (unit changes, ramps); NaN stays NaN.</summary>
    public CoordinateMap Scale(float factor)
    {
        System.Numerics.Tensors.TensorPrimitives.Multiply(Data, factor, Data);
        return this;
    }

    /// <summary>
    /// The absolute map, float64 [channel][z][y][x]: each value is the node's pixel position plus Δ
    /// (sections are independent, so z is not added).
    /// </summary>
    public double[] ToAbsolute()
    {
        var abs = new double[Data.Length];
        for (int z = 0; z < Sections; z++)
        {
            int ox = Offset(0, z), oy = Offset(1, z);
            for (int i = 0; i < Height; i++)
            {
                double py = NodeY(i);
                for (int j = 0; j < Width; j++)
                {
                    int k = i * Width + j;
                    abs[ox + k] = NodeX(j) + Data[ox + k];
                    abs[oy + k] = py + Data[oy + k];
                }
            }
        }
        return abs;
    }

    /// <summary>The relative map of an absolute one (<see cref="ToAbsolute"/>'s layout) on the given grid.</summary>
    public static CoordinateMap FromAbsolute(ReadOnlySpan<double> absolute, Box3 box, double strideX, double strideY)
    {
        var map = new CoordinateMap(box, strideX, strideY);
        if (absolute.Length != map.Data.Length)
            throw new EmAlignException($"The absolute map has {absolute.Length} values; the node box {box} needs {map.Data.Length}.", "absolute");
        for (int z = 0; z < map.Sections; z++)
        {
            int ox = map.Offset(0, z), oy = map.Offset(1, z);
            for (int i = 0; i < map.Height; i++)
            {
                double py = map.NodeY(i);
                for (int j = 0; j < map.Width; j++)
                {
                    int k = i * map.Width + j;
                    map.Data[ox + k] = (float)(absolute[ox + k] - map.NodeX(j));
                    map.Data[oy + k] = (float)(absolute[oy + k] - py);
                }
            }
        }
        return map;
    }

    public override string ToString() => $"CoordinateMap nodes {Box}, stride {StrideX}x{StrideY} px";
}

namespace EmAlign.Flow;

/// <summary>What the channels of a <see cref="FlowField"/> hold; the value is the channel count.</summary>
public enum FlowLayout
{
    /// <summary>[dx, dy].</summary>
    Vectors = 2,

    /// <summary>[dx, dy, dz]: dz is the section offset of the reference the vector was measured against (z - dz).</summary>
    VectorsDeltaZ = 3,

    /// <summary>[dx, dy, peak sharpness, peak ratio], as the estimator returns them (SOFIMA's 4-channel flow).</summary>
    VectorsStats = 4,
}

/// <summary>
/// A flow field of one section, sampled on a regular grid of nodes: float32, layout [channel][y][x] with x
/// fastest (SOFIMA's [C, Y, X] for one z). Node (i, j) (row i, column j) sits at section pixel
/// x = <see cref="OriginX"/> + j * <see cref="Stride"/>, y = <see cref="OriginY"/> + i * <see cref="Stride"/>
/// (integers are pixel centres).
/// <para>
/// Sign: (dx, dy) at a node at position p of the section z (the "post", moving section) says that the content
/// at p is found at p + (dx, dy) in the reference ("pre") section z - dz: the flow points from the section
/// to its predecessor (f = p_pre - p_post). Units are pixels of the images it was measured on.
/// </para>
/// <para>
/// Invalid entries (blank, masked, not selected, rejected) are NaN in every channel. The estimator's raw
/// grid has node j at the centre of the j-th patch, i.e. Origin = PostPatchSize / 2 (integer division)
/// and spacing Stride; <see cref="PadToNodeGrid"/> re-registers it so node j sits at j * Stride.
/// </para>
/// </summary>
public sealed class FlowField
{
    public FlowField(int width, int height, int stride, FlowLayout layout, int originX = 0, int originY = 0, int patchSize = 0, int postPatchSize = 0, float[]? data = null)
    {
        if (width < 0 || height < 0) throw new ArgumentOutOfRangeException(nameof(width), $"Flow grid size must not be negative; got {width} x {height}.");
        if (stride < 1) throw new ArgumentOutOfRangeException(nameof(stride), stride, "Stride must be at least 1 pixel.");
        if (!Enum.IsDefined(layout)) throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown flow layout.");
        Width = width;
        Height = height;
        Stride = stride;
        Layout = layout;
        OriginX = originX;
        OriginY = originY;
        PatchSize = patchSize;
        PostPatchSize = postPatchSize == 0 ? patchSize : postPatchSize;
        int n = Channels * width * height;
        if (data is not null && data.Length != n)
            throw new ArgumentException($"Flow data must hold {Channels} x {height} x {width} = {n} values; got {data.Length}.", nameof(data));
        Data = data ?? new float[n];
    }

    /// <summary>Nodes along x.</summary>
    public int Width { get; }

    /// <summary>Nodes along y.</summary>
    public int Height { get; }

    /// <summary>Node spacing in section pixels.</summary>
    public int Stride { get; }

    public FlowLayout Layout { get; }

    public int Channels => (int)Layout;

    /// <summary>Section pixel x of node column 0.</summary>
    public int OriginX { get; }

    /// <summary>Section pixel y of node row 0.</summary>
    public int OriginY { get; }

    /// <summary>Pre (reference) patch size in pixels the vectors were measured with; 0 if unknown.</summary>
    public int PatchSize { get; }

    /// <summary>Post (moving) patch size in pixels; equals <see cref="PatchSize"/> unless a search margin was used.</summary>
    public int PostPatchSize { get; }

    /// <summary>The values, [channel][y][x], x fastest.</summary>
    public float[] Data { get; }

    public int NodeCount => Width * Height;

    public float this[int channel, int y, int x]
    {
        get => Data[(channel * Height + y) * Width + x];
        set => Data[(channel * Height + y) * Width + x] = value;
    }

    /// <summary>One channel's plane, [y][x].</summary>
    public Span<float> Channel(int channel)
    {
        if ((uint)channel >= (uint)Channels) throw new ArgumentOutOfRangeException(nameof(channel), channel, $"The flow has {Channels} channels.");
        return Data.AsSpan(channel * NodeCount, NodeCount);
    }

    /// <summary>True when both vector components at the node are finite.</summary>
    public bool IsValid(int y, int x) => float.IsFinite(this[0, y, x]) && float.IsFinite(this[1, y, x]);

    /// <summary>Number of nodes with a finite vector.</summary>
    public int ValidCount
    {
        get
        {
            int count = 0;
            for (int i = 0; i < NodeCount; i++)
                if (float.IsFinite(Data[i]) && float.IsFinite(Data[NodeCount + i])) count++;
            return count;
        }
    }

    /// <summary>A field of the given geometry with every value NaN.</summary>
    public static FlowField CreateInvalid(int width, int height, int stride, FlowLayout layout, int originX = 0, int originY = 0, int patchSize = 0, int postPatchSize = 0)
    {
        var f = new FlowField(width, height, stride, layout, originX, originY, patchSize, postPatchSize);
        Array.Fill(f.Data, float.NaN);
        return f;
    }

    /// <summary>A field on the same grid with another layout (values not copied, all NaN).</summary>
    public FlowField CreateInvalidLike(FlowLayout layout) => CreateInvalid(Width, Height, Stride, layout, OriginX, OriginY, PatchSize, PostPatchSize);

    public FlowField Clone() => new(Width, Height, Stride, Layout, OriginX, OriginY, PatchSize, PostPatchSize, (float[])Data.Clone());

    /// <summary>True when <paramref name="other"/> has the same nodes (size, stride, origin).</summary>
    public bool SameGrid(FlowField other) =>
        other.Width == Width && other.Height == Height && other.Stride == Stride && other.OriginX == OriginX && other.OriginY == OriginY;

    /// <summary>Sets every channel of the nodes where <paramref name="mask"/> (y-major, this grid's size) is true to NaN (SOFIMA apply_mask).</summary>
    public void ApplyMask(ReadOnlySpan<bool> mask)
    {
        if (mask.Length != NodeCount) throw new ArgumentException($"Mask must have {Height} x {Width} entries; got {mask.Length}.", nameof(mask));
        for (int i = 0; i < NodeCount; i++)
            if (mask[i])
                for (int c = 0; c < Channels; c++) Data[c * NodeCount + i] = float.NaN;
    }

    /// <summary>
    /// Re-registers the grid so that node j sits at pixel j * Stride + r with r = Origin mod Stride (0 for the
    /// default 160 / 40 patches): NaN nodes are prepended, and appended up to <paramref name="nodesX"/> x
    /// <paramref name="nodesY"/> nodes. Defaults cover a section of the given size: ceil((size - r) / Stride)
    /// nodes, so every pixel has a node at or before it. This is the mesh-node registration of SOFIMA's callers.
    /// </summary>
    public FlowField PadToNodeGrid(int sectionWidth, int sectionHeight, int? nodesX = null, int? nodesY = null)
    {
        int rx = OriginX % Stride, ry = OriginY % Stride;
        if (rx < 0) rx += Stride;
        if (ry < 0) ry += Stride;
        int beforeX = (OriginX - rx) / Stride, beforeY = (OriginY - ry) / Stride;
        int nx = nodesX ?? Math.Max(0, (sectionWidth - rx + Stride - 1) / Stride);
        int ny = nodesY ?? Math.Max(0, (sectionHeight - ry + Stride - 1) / Stride);
        var result = CreateInvalid(nx, ny, Stride, Layout, rx, ry, PatchSize, PostPatchSize);
        for (int c = 0; c < Channels; c++)
            for (int y = 0; y < Height; y++)
            {
                int ty = y + beforeY;
                if ((uint)ty >= (uint)ny) continue;
                for (int x = 0; x < Width; x++)
                {
                    int tx = x + beforeX;
                    if ((uint)tx < (uint)nx) result[c, ty, tx] = this[c, y, x];
                }
            }
        return result;
    }

    public override string ToString() => $"FlowField {Width} x {Height} nodes, stride {Stride} px, origin ({OriginX}, {OriginY}), {Layout}, {ValidCount} valid";
}

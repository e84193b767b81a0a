using EmAlign.Synthetic;
using EmAlign.Volumes;

namespace EmAlign.Demo;

/// <summary>
/// The demo's embedded default data: a synthetic EM stack whose sections (all but the first) carry a known
/// deformation, placed on a black canvas so that the data bounding box is a real question.
/// </summary>
public sealed class DemoStack
{
    public DemoStack(int sections = 8, int tissueSize = 512, int border = 64, int seed = 7)
    {
        Sections = sections; TissueSize = tissueSize; Border = border;
        CanvasSize = tissueSize + 2 * border;
        Generator = new SyntheticEmStack(tissueSize, tissueSize, seed);
        var rng = new Random(seed);
        var deformations = new KnownDeformation[sections];
        deformations[0] = KnownDeformation.Identity(tissueSize, tissueSize);
        for (int z = 1; z < sections; z++)
            deformations[z] = KnownDeformation.Random(tissueSize, tissueSize, rng, maxShift: 12, maxRotationDegrees: 1, elasticAmplitude: 4, correlationLength: 150);
        Deformations = deformations;
    }

    public int Sections { get; }
    public int TissueSize { get; }
    public int Border { get; }
    public int CanvasSize { get; }
    public SyntheticEmStack Generator { get; }

    /// <summary>Per section: deformed(x, y) = clean(Map(x, y)), in tissue pixel coordinates.</summary>
    public IReadOnlyList<KnownDeformation> Deformations { get; }

    /// <summary>The clean (ground-truth) tissue image of section <paramref name="z"/>.</summary>
    public float[] Clean(int z) => Generator.RenderSection(z);

    /// <summary>The deformed section on its canvas, as uint8.</summary>
    public byte[] RenderCanvas(int z) => OnCanvas(Deformations[z].Apply(Clean(z)));

    /// <summary>The clean section on its canvas, as uint8: where an alignment to section 0 (undeformed) should put section <paramref name="z"/>.</summary>
    public byte[] CleanCanvas(int z) => OnCanvas(Clean(z));

    /// <summary>The clean stack on its canvas as an in-memory uint8 volume: the ground truth an aligned demo stack is compared with.</summary>
    public EmVolume CleanReference()
    {
        var array = new MemoryChunkedArray(DataType.UInt8, [Sections, CanvasSize, CanvasSize], [1, CanvasSize, CanvasSize], path: "clean reference");
        var volume = new EmVolume("clean reference", "memory", "", [new VolumeLevel(Geometry.Mag.One, array)], VoxelSize.Unknown, new ChunkCache(0));
        for (int z = 0; z < Sections; z++) volume.Write<byte>(0, new Geometry.Box3(0, 0, z, CanvasSize, CanvasSize, 1), CleanCanvas(z));
        return volume;
    }

    /// <summary>Tissue on the black canvas; tissue values are at least 1, so 0 means padding.</summary>
    private byte[] OnCanvas(float[] tissue)
    {
        var canvas = new byte[CanvasSize * CanvasSize];
        for (int y = 0; y < TissueSize; y++)
            for (int x = 0; x < TissueSize; x++)
                canvas[(y + Border) * CanvasSize + x + Border] = (byte)Math.Clamp(MathF.Round(tissue[y * TissueSize + x]), 1, 255);
        return canvas;
    }

    /// <summary>Writes every section into <paramref name="volume"/> (uint8, shape Sections x Canvas x Canvas).</summary>
    public void WriteTo(EmVolume volume, IProgress<ProgressInfo>? progress = null, CancellationToken ct = default)
    {
        for (int z = 0; z < Sections; z++)
        {
            ct.ThrowIfCancellationRequested();
            volume.Write<byte>(0, new Geometry.Box3(0, 0, z, CanvasSize, CanvasSize, 1), RenderCanvas(z));
            progress?.Report(new ProgressInfo("Synthesizing EM stack", $"section {z + 1} of {Sections}", z + 1, Sections));
        }
        volume.Flush();
    }
}

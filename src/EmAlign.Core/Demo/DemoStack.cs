using EmAlign.Synthetic;
using EmAlign.Volumes;

namespace EmAlign.Demo;

/// <summary>
/// The demo's embedded default data: a synthetic EM stack whose sections (all but the first) carry a known
/// deformation, placed on a black canvas so that the data bounding box is a real question.
/// </summary>
public sealed class DemoStack
{
    public DemoStack(int sections = 12, int tissueSize = 512, int border = 64, int seed = 7)
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
    public byte[] RenderCanvas(int z)
    {
        var deformed = Deformations[z].Apply(Clean(z));
        var canvas = new byte[CanvasSize * CanvasSize];
        for (int y = 0; y < TissueSize; y++)
            for (int x = 0; x < TissueSize; x++)
                canvas[(y + Border) * CanvasSize + x + Border] = (byte)Math.Clamp(MathF.Round(deformed[y * TissueSize + x]), 1, 255);
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

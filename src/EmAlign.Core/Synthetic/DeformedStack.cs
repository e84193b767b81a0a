using EmAlign.Formats;
using EmAlign.Geometry;
using EmAlign.Volumes;

namespace EmAlign.Synthetic;

/// <summary>
/// Builds alignment test stacks from a registered stack: every section but the first is deformed by its own
/// known rigid jitter plus smooth elastic field (deformed(x) = original(Map(x))); optionally one section is
/// replaced by noise (a damaged section). With <c>contentSection</c> every section is a deformed copy of that one
/// original section: content identical through z, so the known deformations are the only thing to undo (real
/// neighbours differ, and aligning them also follows what changes from section to section).
/// </summary>
public static class DeformedStack
{
    public static IReadOnlyList<KnownDeformation> Write(EmVolume original, string destination, int seed = 1, double maxShift = 20, double maxRotationDegrees = 1,
        double elasticAmplitude = 6, double correlationLength = 150, int? noiseSection = null, string format = "zarr2", int? contentSection = null)
    {
        var (w, h, d) = original.Levels[0].Size;
        var rng = new Random(seed);
        var deformations = new KnownDeformation[d];
        using var output = VolumeFormats.Create(format, destination, new VolumeCreateOptions
        {
            DataType = DataType.UInt8, Shape = [d, h, w], ChunkShape = [1, Math.Min(512, (int)h), Math.Min(512, (int)w)], Force = true,
            VoxelSize = original.VoxelSize,
        });
        for (int z = 0; z < d; z++)
        {
            deformations[z] = z == 0 ? KnownDeformation.Identity((int)w, (int)h)
                : KnownDeformation.Random((int)w, (int)h, rng, maxShift, maxRotationDegrees, elasticAmplitude, correlationLength);
            var box = new Box3(0, 0, z, w, h, 1);
            var source = contentSection is { } c ? box with { Z = c } : box;
            float[] section;
            if (z == noiseSection)
            {
                var noise = new Random(seed * 31 + z);
                section = new float[w * h];
                for (int i = 0; i < section.Length; i++) section[i] = 1 + noise.Next(255);
            }
            else section = z == 0 ? original.ReadSingle(0, source) : deformations[z].Apply(original.ReadSingle(0, source));
            var bytes = new byte[section.Length];
            for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)Math.Clamp(MathF.Round(section[i]), 0, 255);
            output.Write<byte>(0, box, bytes);
        }
        output.Flush();
        return deformations;
    }
}

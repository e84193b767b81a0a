namespace EmAlign.Volumes;

/// <summary>Physical size of one mag-1 voxel along x, y and z, in <see cref="Unit"/> (e.g. "nanometer").</summary>
public sealed record VoxelSize(double X, double Y, double Z, string Unit = "nanometer")
{
    public static VoxelSize Unknown { get; } = new(1, 1, 1, "pixel");

    public override string ToString() => $"{X:g6} x {Y:g6} x {Z:g6} {Unit}";

    /// <summary>The factor that converts <paramref name="unit"/> to nanometres, or null when the unit is not a length.</summary>
    public static double? NanometersPer(string unit) => unit.Trim().ToLowerInvariant() switch
    {
        "nm" or "nanometer" or "nanometre" => 1,
        "um" or "µm" or "micron" or "micrometer" or "micrometre" => 1e3,
        "mm" or "millimeter" or "millimetre" => 1e6,
        "cm" or "centimeter" => 1e7,
        "m" or "meter" or "metre" => 1e9,
        "pm" or "picometer" => 1e-3,
        "a" or "angstrom" or "å" => 0.1,
        _ => null,
    };
}

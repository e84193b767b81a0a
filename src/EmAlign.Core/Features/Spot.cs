namespace EmAlign.Features;

/// <summary>
/// A detected blob. (X, Y, Z) is its centre in voxels of the grid it was found on (fractional: the peak refined by a
/// parabola per axis); the integer voxel of the peak is (round X, round Y, round Z). <see cref="Sigma"/> is the Gaussian
/// scale in voxels along the grid's finest axis (blob radius = Sigma·sqrt(dimensions)), <see cref="Response"/> the
/// scale-normalised Laplacian-of-Gaussian value at the peak, <see cref="Intensity"/> the image value at the peak voxel.
/// </summary>
public readonly record struct Spot(double X, double Y, double Z, double Sigma, float Response, float Intensity);

namespace EmAlign.Warp;

/// <summary>How <see cref="SectionWarper"/> samples the input section between pixels.</summary>
public enum WarpInterpolation
{
    /// <summary>The nearest pixel (round half up). The only choice for label/segmentation data: never blends ids.</summary>
    Nearest,

    /// <summary>Bilinear, 2×2 taps.</summary>
    Linear,

    /// <summary>Bicubic convolution, 4×4 taps, Keys a = −0.75 (OpenCV INTER_CUBIC, SOFIMA 'cubic').</summary>
    Cubic,

    /// <summary>Lanczos windowed sinc, a = 3, 6×6 taps, weights normalised to sum 1.</summary>
    Lanczos3,

    /// <summary>Lanczos windowed sinc, a = 4, 8×8 taps, weights normalised to sum 1 (OpenCV INTER_LANCZOS4, SOFIMA's render default).</summary>
    Lanczos4,
}

using EmAlign.Diagnostics;
using EmAlign.Geometry;

namespace EmAlign.Warp;

/// <summary>
/// A rectangle of one section's pixels in memory: <see cref="Pixels"/> in C order (y, then x fastest),
/// covering the pixel box <see cref="Box"/> (x, y in section pixels; z and SizeZ are not used). Pixels
/// outside the box read as 0 when warping, as pixels outside the section do.
/// </summary>
public readonly record struct SectionImage<T> where T : unmanaged
{
    public SectionImage(ReadOnlyMemory<T> pixels, Box3 box)
    {
        if (box.SizeX <= 0 || box.SizeY <= 0 || box.SizeX > int.MaxValue || box.SizeY > int.MaxValue)
            throw new EmAlignException($"A section image needs a non-empty pixel box; found {box}.", "box");
        if (pixels.Length < box.SizeX * box.SizeY)
            throw new EmAlignException($"The section image has {pixels.Length} pixels; its box {box} needs {box.SizeX * box.SizeY}.", "pixels");
        Pixels = pixels;
        Box = box;
    }

    public ReadOnlyMemory<T> Pixels { get; }

    public Box3 Box { get; }

    public int Width => (int)Box.SizeX;

    public int Height => (int)Box.SizeY;
}

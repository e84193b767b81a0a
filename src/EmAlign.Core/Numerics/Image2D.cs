namespace EmAlign.Numerics;

/// <summary>
/// A 2D plane in memory (one section, a mask, a surface): <see cref="Width"/> x <see cref="Height"/> values,
/// row-major with x fastest, so pixel (x, y) is <c>Data[y * Width + x]</c>.
/// </summary>
public sealed class Image2D<T> where T : unmanaged
{
    public Image2D(int width, int height) : this(new T[checked(width * height)], width, height) { }

    public Image2D(T[] data, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (width < 0 || height < 0) throw new ArgumentOutOfRangeException(nameof(width), $"Image size must not be negative; got {width} x {height}.");
        if (data.Length != (long)width * height)
            throw new ArgumentException($"Image data must hold {width} x {height} = {(long)width * height} values; got {data.Length}.", nameof(data));
        Data = data;
        Width = width;
        Height = height;
    }

    public T[] Data { get; }
    public int Width { get; }
    public int Height { get; }

    public T this[int y, int x]
    {
        get => Data[y * Width + x];
        set => Data[y * Width + x] = value;
    }

    /// <summary>Row y as a span.</summary>
    public Span<T> Row(int y) => Data.AsSpan(y * Width, Width);

    public override string ToString() => $"Image2D<{typeof(T).Name}> {Width} x {Height}";
}

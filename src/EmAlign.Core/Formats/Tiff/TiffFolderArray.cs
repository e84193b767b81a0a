using EmAlign.Diagnostics;
using EmAlign.Volumes;

namespace EmAlign.Formats.Tiff;

/// <summary>
/// A folder of single-page TIFF slices as a read-only (z, y, x) array; chunk = one file, shape (1, height, width).
/// Slices are the folder's .tif/.tiff files in natural order (slice_2 before slice_10); all must share size and type.
/// Every slice's directory is parsed at open, so reading a chunk is one open and one read.
/// </summary>
internal sealed class TiffFolderArray : IChunkedArray
{
    private readonly string[] _files;
    private readonly TiffPage[] _pages;

    private TiffFolderArray(string folder, string[] files, TiffPage[] pages, DataType type, VoxelSize voxelSize)
    {
        Path = folder;
        _files = files;
        _pages = pages;
        DataType = type;
        VoxelSize = voxelSize;
        Shape = [files.Length, pages[0].Height, pages[0].Width];
        ChunkShape = [1, pages[0].Height, pages[0].Width];
    }

    /// <summary>The TIFF files of <paramref name="folder"/> (not hidden, .tif or .tiff in any case), in natural order.</summary>
    public static string[] ListSlices(string folder)
    {
        var files = Directory.EnumerateFiles(folder)
            .Where(f => IsTiffName(f) && !System.IO.Path.GetFileName(f).StartsWith('.') && (File.GetAttributes(f) & FileAttributes.Hidden) == 0)
            .ToArray();
        Array.Sort(files, (a, b) => NaturalOrder.Instance.Compare(System.IO.Path.GetFileName(a), System.IO.Path.GetFileName(b)));
        return files;
    }

    public static bool IsTiffName(string path) =>
        path.EndsWith(".tif", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tiff", StringComparison.OrdinalIgnoreCase);

    public static TiffFolderArray Open(string folder)
    {
        var files = ListSlices(folder);
        if (files.Length == 0)
            throw new InvalidVolumeException($"'{folder}' holds no .tif or .tiff files; expected a folder of TIFF slices.", folder);
        var stacks = new TiffStack[files.Length];
        Parallel.For(0, files.Length, i =>
        {
            using var h = File.OpenHandle(files[i], FileMode.Open, FileAccess.Read, FileShare.Read);
            stacks[i] = TiffStack.Read(h, files[i]);
        });
        var first = stacks[0];
        var pages = new TiffPage[files.Length];
        for (int i = 0; i < files.Length; i++)
        {
            var s = stacks[i];
            if (s.Planes.Count != 1)
                throw new InvalidVolumeException($"'{files[i]}' holds {s.Planes.Count} pages; expected single-page TIFF slices in the folder '{folder}'.", files[i]);
            if (s.Width != first.Width || s.Height != first.Height || s.DataType != first.DataType)
                throw new InvalidVolumeException(
                    $"'{files[i]}' is {s.Width} x {s.Height} {s.DataType.Name()}; the folder's first slice '{System.IO.Path.GetFileName(files[0])}' is {first.Width} x {first.Height} {first.DataType.Name()}: expected every slice to match.", files[i]);
            pages[i] = s.Planes[0];
        }
        return new TiffFolderArray(folder, files, pages, first.DataType, first.VoxelSize);
    }

    public string Path { get; }
    public DataType DataType { get; }

    /// <summary>Calibration of the first slice (ImageJ resolution, unit and spacing).</summary>
    public VoxelSize VoxelSize { get; }
    public IReadOnlyList<long> Shape { get; }
    public IReadOnlyList<int> ChunkShape { get; }
    public double FillValue => 0;
    public bool CanWrite => false;

    public bool TryReadChunk(ReadOnlySpan<long> chunkIndex, Span<byte> destination)
    {
        long z = chunkIndex[0];
        if ((ulong)z >= (ulong)_files.Length || chunkIndex[1] != 0 || chunkIndex[2] != 0) return false;
        string file = _files[z];
        using var h = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.Read);
        _pages[z].Decode(h, file, destination);
        return true;
    }

    public void WriteChunk(ReadOnlySpan<long> chunkIndex, ReadOnlySpan<byte> data) =>
        throw new InvalidOperationException($"'{Path}' is open read-only: create a new folder of slices to write.");

    public void Flush() { }

    public void Dispose() { }
}
